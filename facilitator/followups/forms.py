"""The follow-up page's forms: log a contact, snooze, close, and "We missed you" (CSRF only).

Each has its own prefix, so the page shows the problems of the one that was sent beside its
fields. The choices are the service's values; the service checks them all again."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from facilitator.followups import CHANNEL_LABELS, OUTCOME_LABELS
from facilitator.followups.services import ContactData
from facilitator.forms import choices
from facilitator.models import ContactRole, FollowUp


class ContactForm(FlaskForm):
    channel = SelectField("How", validate_choice=False,
                          choices=choices([("", "Choose")] + list(CHANNEL_LABELS.items())))
    contact_id = SelectField("Whom (a contact of the home)", validate_choice=False)
    outcome = TextAreaField("What came of it (no resident details)")
    next_step = StringField("Next step (optional)")
    next_on = DateField("Date of the next step (optional)", validators=[Optional()])

    def offer(self, follow_up: FollowUp) -> ContactForm:
        people = [(str(c.id), f"{c.name} ({ContactRole(c.role).label.lower()})")
                  for c in follow_up.home.contacts if c.is_active]
        self.contact_id.choices = choices([("", "Someone else at the home")] + people)
        return self

    def data_typed(self) -> ContactData:
        chosen = self.contact_id.data or ""
        return ContactData(channel=self.channel.data or "",
                           contact_id=int(chosen) if chosen.isdigit() else None,
                           outcome=self.outcome.data or "", next_step=self.next_step.data or "",
                           next_on=self.next_on.data)


class SnoozeForm(FlaskForm):
    snooze_until = DateField("Snooze until", validators=[Optional()])


class CloseForm(FlaskForm):
    outcome = SelectField("Outcome", validate_choice=False,
                          choices=choices([("", "Choose")] + list(OUTCOME_LABELS.items())))
    outcome_note = TextAreaField("Note (optional)")

    def changes(self) -> dict[str, object]:
        return {"state": "closed", "outcome": self.outcome.data or None,
                "outcome_note": self.outcome_note.data}


class MissedYouForm(FlaskForm):
    """Only the CSRF token: the email is the preview's."""


def page_forms() -> dict[str, FlaskForm]:
    """Blank forms for the page (nothing submitted)."""
    return {"contact": ContactForm(formdata=None, prefix="contact"),
            "snooze": SnoozeForm(formdata=None, prefix="snooze"),
            "close": CloseForm(formdata=None, prefix="close")}
