from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TimeField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from facilitator.forms import choices

REPEAT_CHOICES = choices([("", "Does not repeat"), ("week", "Every week"), ("fortnight", "Every fortnight"),
                          ("month", "Every month")])
MONTHLY_CHOICES = choices([("date", "On the same date (e.g. the 31st; shorter months use their last day)"),
                           ("weekday", "On the same weekday (e.g. the second Tuesday)")])
SCOPE_CHOICES = choices([("this", "This session only"),
                         ("following", "This and the later sessions of the series")])
LENGTH = [InputRequired("Enter a length in minutes."), NumberRange(15, 480, "Between 15 and 480 minutes.")]


RECORD_ONLY = "Record a past session (no meeting, no invitations)"


class SessionTimeFields(FlaskForm):
    title = StringField("Title", validators=[DataRequired("Enter a title."), Length(max=200)])
    date = DateField("Date", validators=[InputRequired("Enter the date.")])
    start_time = TimeField("Start time", validators=[InputRequired("Enter the start time, e.g. 10:00.")])
    duration_minutes = IntegerField("Length (minutes)", validators=LENGTH)


class BookingForm(SessionTimeFields):
    provider = SelectField("Video provider", validate_choice=False)
    join_url = URLField("Meeting link (only when you paste a link)",
                        validators=[Optional(), Length(max=2000)])
    repeat_every = SelectField("Repeat", choices=REPEAT_CHOICES, validate_choice=True)
    repeat_count = IntegerField("Number of sessions (including the first)", default=1,
                                validators=[Optional(), NumberRange(1, 52, "From 1 to 52 sessions.")])
    monthly_by = SelectField("Every month", choices=MONTHLY_CHOICES, default="date", validate_choice=True)
    skip_holidays = BooleanField("Skip bank holidays in Scotland")
    record_only = BooleanField(RECORD_ONLY)
    allow_clash = BooleanField("Book anyway")
    preview = SubmitField("Check the dates")
    book = SubmitField("Book")


class RescheduleForm(SessionTimeFields):
    scope = RadioField("Change", choices=SCOPE_CHOICES, default="this")
    record_only = BooleanField(RECORD_ONLY)
    allow_clash = BooleanField("Save anyway")
    version = HiddenField()
    preview = SubmitField("Check the new time")
    save = SubmitField("Save")


class CancelForm(FlaskForm):
    scope = RadioField("Cancel", choices=SCOPE_CHOICES, default="this")
    version = HiddenField()


class RetryForm(FlaskForm):
    pass
