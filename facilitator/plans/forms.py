"""The plan's and the summary's forms, and the summary's Send (CSRF only). The lengths are the
service's rules (``plans.services``), checked there for the form and the API alike."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField

from facilitator.plans.services import PlanData, SummaryData


class PlanForm(FlaskForm):
    theme = StringField("Theme")
    agenda = TextAreaField("Agenda")

    def data_typed(self) -> PlanData:
        return PlanData(theme=self.theme.data or "", agenda=self.agenda.data or "")


class SummaryForm(FlaskForm):
    text = TextAreaField("Summary for every home in the group")

    def data_typed(self) -> SummaryData:
        return SummaryData(text=self.text.data or "")


class SendForm(FlaskForm):
    """Send the summary: a CSRF token only."""
