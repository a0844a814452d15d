"""Forms of the register screen and the dashboard's filters."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from facilitator.attendance.register import parse_version
from facilitator.clock import DAY_RANGE_MESSAGE, day_in_range
from facilitator.forms import choices
from facilitator.models.attendance import AttendanceStatus, EngagementRating, IgnoredAs
from facilitator.models.base import can_be_row_id

STATUS_CHOICES = choices([("", "Not recorded")] + [(s.value, s.label) for s in AttendanceStatus])
ENGAGEMENT_CHOICES = choices([("", "Not rated")]
                             + [(r.value, f"{r.value} – {r.label}") for r in EngagementRating])
SENIOR_CHOICES = choices([("", "Not known"), ("yes", "Yes"), ("no", "No")])


def is_row_id(value: Any) -> bool:
    """ASCII digits naming a row id a column can hold (hidden fields come back as typed by anyone)."""
    text = str(value or "")
    return text.isascii() and text.isdigit() and can_be_row_id(int(text))


def optional_int(value: Any) -> int | None:
    return None if value in ("", None, "None") else int(value)


def optional_bool(value: Any) -> bool | None:
    return {"yes": True, "no": False, True: True, False: False}.get(value)


def optional_text(value: Any) -> str | None:
    return value or None


class RowForm(Form):
    """One home's line; the home's name is shown as the fieldset's legend."""

    home_id = HiddenField()
    status = SelectField("Attendance", choices=STATUS_CHOICES, coerce=optional_text)
    staff_count = IntegerField("Staff taking part", validators=[
        Optional(), NumberRange(0, 500, "Enter a number from 0 to 500.")])
    engagement = SelectField("Engagement", choices=ENGAGEMENT_CHOICES, coerce=optional_int)
    senior_present = SelectField("Manager or team leader there?", choices=SENIOR_CHOICES,
                                 coerce=optional_bool)
    comment = StringField("Comment (not confidential)", validators=[
        Optional(), Length(max=280, message="Keep the comment to 280 characters.")])
    confirm_join = BooleanField("Confirm present: they opened the join link")

    def validate_home_id(self, field: HiddenField) -> None:
        if not is_row_id(field.data):
            raise ValidationError("Unknown home.")


class RegisterForm(FlaskForm):
    version = HiddenField()
    rows = FieldList(FormField(RowForm), max_entries=2000)

    def validate_version(self, field: HiddenField) -> None:
        if parse_version(str(field.data or "")) is None:
            raise ValidationError("Reload the register and try again.")


class ImportForm(FlaskForm):
    pass


class AcceptImportForm(FlaskForm):
    pass


def assign_choices(homes: list[Any]) -> list[Any]:
    return choices([("", "Choose…")] + [(f"home:{h.id}", h.name) for h in homes]
                   + [(f"ignore:{i.value}", f"Not a home: {i.label.lower()}") for i in IgnoredAs])


class AssignForm(FlaskForm):
    participant_id = HiddenField()
    target = SelectField("Belongs to", validate_choice=False)

    def validate_participant_id(self, field: HiddenField) -> None:
        if not is_row_id(field.data):
            raise ValidationError("Unknown person.")

    def validate_target(self, field: SelectField) -> None:
        kind, _, value = str(field.data or "").partition(":")
        if kind not in ("home", "ignore") or not value:
            raise ValidationError("Choose a home, or say who they are.")

    @property
    def home_id(self) -> int | None:
        kind, _, value = str(self.target.data).partition(":")
        return int(value) if kind == "home" and value.isdigit() else None

    @property
    def ignored_as(self) -> str | None:
        kind, _, value = str(self.target.data).partition(":")
        return value if kind == "ignore" else None


class FilterForm(FlaskForm):
    """The dashboard's filters: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    group_id = SelectField("Group", coerce=optional_int)
    region = SelectField("Region", default="")
    date_from = DateField("From", name="from", validators=[Optional()])
    date_to = DateField("To", name="to", validators=[Optional()])

    def validate_date_from(self, field: DateField) -> None:
        if not day_in_range(field.data):
            raise ValidationError(DAY_RANGE_MESSAGE)

    def validate_date_to(self, field: DateField) -> None:
        if not day_in_range(field.data):
            raise ValidationError(DAY_RANGE_MESSAGE)
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date is before the start date.")
