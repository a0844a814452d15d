"""The staff form that pauses a home (issue 18). Its rules are the service's
(``attendance.pauses.pause_problems``), which names the dates ``from`` and ``to``: :data:`RENAMES`."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import Optional

from facilitator.absence.pauses import PauseInput
from facilitator.forms import choices
from facilitator.models.engagement import PauseReason

RENAMES = {"from": "starts_on", "to": "ends_on"}
REASON_CHOICES = choices([("", "Choose a reason")] + [(r.value, r.label) for r in PauseReason])


class PauseForm(FlaskForm):
    starts_on = DateField("From", validators=[Optional()])
    ends_on = DateField("To (the last day of the pause)", validators=[Optional()])
    reason = SelectField("Reason", choices=REASON_CHOICES, validate_choice=False)
    note = TextAreaField("Note (optional, not confidential: no resident details)")

    def pause_input(self) -> PauseInput:
        """The form as the service takes it; a date that did not parse counts as missing (its own
        message is shown, the service's on that field is not)."""
        return PauseInput(self.starts_on.data, self.ends_on.data, self.reason.data or None,
                          self.note.data or "")
