"""Staff forms of the conditions: drafting an agreement, recording one signed on paper, and a
home's readiness in a group. Their rules are the services' (``agreements``, ``readiness``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, FloatField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from facilitator.conditions.agreements import AgreementData
from facilitator.forms import optional_row_id

HOURS = {"psl_hours_per_month": "for PSL sessions", "implementation_hours_per_month":
         "for the home's implementation group", "task_hours_per_month": "for implementation tasks"}


def _hours(label: str) -> FloatField:
    return FloatField(f"Hours a month {label}", validators=[
        InputRequired(f"Enter the hours a month {label} (0 if none)."),
    ])


class AgreementForm(FlaskForm):
    sponsor_contact_id = SelectField("Senior sponsor", coerce=optional_row_id, validate_choice=False)
    sponsor_name = StringField("Or the sponsor's name", validators=[Optional(), Length(max=200)])
    sponsor_email = EmailField("and their email address", validators=[Optional(), Length(max=254)])
    psl_hours_per_month = _hours(HOURS["psl_hours_per_month"])
    implementation_hours_per_month = _hours(HOURS["implementation_hours_per_month"])
    task_hours_per_month = _hours(HOURS["task_hours_per_month"])
    starts_on = DateField("Starts on", validators=[InputRequired("Enter the day it starts.")])
    review_on = DateField("Review on (optional)", validators=[Optional()])
    text = TextAreaField("What it covers, in plain words", validators=[Optional(), Length(max=20000)])
    prefilled = HiddenField()  # the wording shown: left unchanged, it is written with the figures

    def agreement_data(self, starts_on: date) -> AgreementData:
        """The form as the service takes it; a field that did not parse counts as 0 or ``starts_on``
        (its own message is shown, the service's on that field is not)."""
        edited = (self.text.data or "").strip() != (self.prefilled.data or "").strip()
        return AgreementData(
            psl_hours_per_month=_number(self.psl_hours_per_month.data),
            implementation_hours_per_month=_number(self.implementation_hours_per_month.data),
            task_hours_per_month=_number(self.task_hours_per_month.data),
            starts_on=self.starts_on.data or starts_on, review_on=self.review_on.data,
            sponsor_contact_id=self.sponsor_contact_id.data, sponsor_name=self.sponsor_name.data or "",
            sponsor_email=self.sponsor_email.data or "", text=self.text.data if edited else None)


def _number(value: Any) -> float:
    return float(value) if value is not None else 0.0


class PaperForm(FlaskForm):
    signed_by = StringField("Who signed it", validators=[Optional(), Length(max=200)])
    signed_on = DateField("The day it was signed", validators=[InputRequired("Enter the day it was signed.")])


class ReadinessForm(FlaskForm):
    visited_on = DateField("Facilitator visited the home on (optional)", validators=[Optional()])
    visited_by = StringField("Visited by (optional)", validators=[Optional(), Length(max=200)])
    met_manager_on = DateField("Met the manager face to face on (optional)", validators=[Optional()])
    device_tested_on = DateField("Tested the home's device with them on (optional)", validators=[Optional()])
    champion_contact_id = SelectField("Implementation lead or champion", coerce=optional_row_id,
                                      validate_choice=False)

    def changes(self) -> dict[str, Any]:
        """Every field, as the service takes them (a blank clears it)."""
        return {"visited_on": self.visited_on.data, "visited_by": self.visited_by.data or "",
                "met_manager_on": self.met_manager_on.data, "device_tested_on": self.device_tested_on.data,
                "champion_contact_id": self.champion_contact_id.data}
