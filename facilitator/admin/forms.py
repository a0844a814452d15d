from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from facilitator.forms import choices, optional_row_id, row_id
from facilitator.models import ContactRole, Role
from integrations.providers.registry import PROVIDER_CLASSES

ROLE_CHOICES = choices((r.value, r.label) for r in Role)
CONTACT_ROLE_CHOICES = choices((r.value, r.label) for r in ContactRole)
PROVIDER_CHOICES = choices((cls.name, cls.label) for cls in PROVIDER_CLASSES)


class UserForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired("Enter an email address."),
                                            Email("Enter a valid email address."), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    phone = StringField("Phone (optional: care homes see it)", validators=[Optional(), Length(max=40)])
    supervisor_id = SelectField("Supervisor (facilitators only)", coerce=optional_row_id,
                                validate_choice=False)
    is_active = BooleanField("Active", default=True)


class HomeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the home's name."), Length(max=200)])
    region = StringField("Region", validators=[Optional(), Length(max=100)])
    beds = IntegerField("Beds", validators=[Optional(), NumberRange(0, 10000, "Enter 0 to 10,000.")])
    protected_time_agreed_on = DateField(
        "Protected time agreed with leadership on (leave blank if not agreed)",
        validators=[Optional()])
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class ContactForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the contact's name."), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired("Enter an email address."),
                                            Email("Enter a valid email address."), Length(max=254)])
    role = SelectField("Role", choices=CONTACT_ROLE_CHOICES)
    is_active = BooleanField("Active (receives invites)", default=True)


class GroupForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the group's name."), Length(max=200)])
    provider = SelectField("Video provider", choices=PROVIDER_CHOICES)
    default_duration_minutes = IntegerField(
        "Default length (minutes)", default=90,
        validators=[InputRequired("Enter a length in minutes."),
                    NumberRange(15, 480, "Between 15 and 480 minutes.")])
    facilitator_ids = SelectMultipleField("Facilitators", coerce=row_id, validate_choice=False)


class AddMemberForm(FlaskForm):
    home_id = SelectField("Home", coerce=optional_row_id, validate_choice=False,
                          validators=[InputRequired("Choose a home.")])
    joined_on = DateField("Joined on", validators=[InputRequired("Enter the date the home joined.")])


class EndMembershipForm(FlaskForm):
    left_on = DateField("Left on", validators=[InputRequired("Enter the date the home left.")])
