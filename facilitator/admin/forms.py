from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from facilitator.admin import facilitation
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.forms import choices, optional_row_id, row_id
from facilitator.models import ContactRole, Group, Role
from integrations.providers.registry import PROVIDER_CLASSES

ROLE_CHOICES = choices((r.value, r.label) for r in Role)
CONTACT_ROLE_CHOICES = choices((r.value, r.label) for r in ContactRole)
AREA_CHOICES = choices([("", "Not recorded")] + list(COUNCIL_AREAS.items()))
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
    local_authority = SelectField("Council area", choices=AREA_CHOICES, validate_choice=False)
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


class HandoverForm(FlaskForm):
    """Who takes over each group a leaving facilitator alone facilitates (a select per group, made
    by ``handover_form``), sent with the user form's fields as they were typed."""

    handover_shown = HiddenField(default="1")
    force = BooleanField("Deactivate anyway: leave each group not handed over with no facilitator")

    groups: list[Group]

    def was_shown(self) -> bool:
        """True when this is the answer to the handover page, not the first save."""
        return self.handover_shown.raw_data == ["1"]

    def rows(self) -> list[tuple[Group, Any]]:
        """Each group with its select."""
        return [(g, self[facilitation.handover_field(g)]) for g in self.groups]

    def successors(self) -> dict[int, int]:
        """Group id -> the facilitator chosen to take it over, for each group with a choice."""
        chosen = {g.id: field.data for g, field in self.rows()}
        return {group_id: user_id for group_id, user_id in chosen.items() if user_id is not None}


def handover_form(groups: Iterable[Group], people: Iterable[tuple[int, str]]) -> HandoverForm:
    """A ``HandoverForm`` with a select of ``people`` for each of ``groups``."""
    options = choices([("", "Nobody: choose someone")] + list(people))

    class Form(HandoverForm):
        pass

    for group in groups:
        setattr(Form, facilitation.handover_field(group), SelectField(
            f"Who takes over {group.name}", choices=options, coerce=optional_row_id, validate_choice=False))
    form = Form()
    form.groups = list(groups)
    return form
