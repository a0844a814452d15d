"""The action plan's forms. The owner is one select of the home's contacts and its roles."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from facilitator.forms import choices
from facilitator.journey.actions import ActionData, domain_titles
from facilitator.models import ActionStatus, CareHome, ContactRole

STATUS_CHOICES = choices((s.value, s.label) for s in ActionStatus)
# The owner select's problems are the service's two owner fields.
OWNER_RENAMES = {"owner_contact_id": "owner", "owner_role": "owner"}


class ActionForm(FlaskForm):
    title = StringField("What will the home do?", validators=[DataRequired("Enter what the home will do."),
                                                               Length(max=200)])
    domain_key = SelectField("Domain of the self-assessment (optional)", validate_choice=False)
    owner = SelectField("Owner (optional)", validate_choice=False)
    due_on = DateField("Due by (optional)", validators=[Optional()])
    status = SelectField("Status", choices=STATUS_CHOICES)
    protected_hours = DecimalField("Protected time it needs, in hours (optional)", places=1,
                                   validators=[Optional(), NumberRange(0, 1000, "Enter 0 to 1000 hours.")])
    note = TextAreaField("Note (optional)", validators=[Optional(), Length(max=2000)])

    def offer(self, home: CareHome) -> ActionForm:
        """The choices for ``home``: the framework's domains, its contacts and the roles there."""
        self.domain_key.choices = choices([("", "None")] + list(domain_titles().items()))
        people = [(f"contact:{c.id}", f"{c.name} ({ContactRole(c.role).label.lower()})")
                  for c in home.contacts if c.is_active]
        roles = [(f"role:{r.value}", f"Whoever is {r.label.lower()} at the home") for r in ContactRole]
        self.owner.choices = choices([("", "Nobody yet")] + people + roles)
        return self

    def fill(self, data: ActionData) -> None:
        for name in ("title", "domain_key", "due_on", "status", "note"):
            getattr(self, name).data = getattr(data, name)
        self.protected_hours.data = data.protected_hours
        self.owner.data = _owner_value(data)

    def data_typed(self) -> ActionData:
        owner = self.owner.data or ""
        kind, _, value = owner.partition(":")
        contact_id = int(value) if kind == "contact" and value.isdigit() else None
        hours = self.protected_hours.data
        return ActionData(
            title=self.title.data or "", domain_key=self.domain_key.data or None,
            owner_contact_id=contact_id, owner_role=value if kind == "role" else None,
            due_on=self.due_on.data, protected_hours=float(hours) if hours is not None else None,
            note=self.note.data or "", status=self.status.data or ActionStatus.NOT_STARTED.value)


def _owner_value(data: ActionData) -> str:
    if data.owner_contact_id is not None:
        return f"contact:{data.owner_contact_id}"
    return f"role:{data.owner_role}" if data.owner_role else ""


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=STATUS_CHOICES)


def status_form(action: Any) -> StatusForm:
    return StatusForm(formdata=None, data={"status": action.status}, prefix=f"a{action.id}")
