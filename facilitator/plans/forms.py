"""The plan's and the summary's forms, and the summary's Send (CSRF only). The lengths are the
service's rules (``plans.services``), checked there for the form and the API alike."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField

from facilitator.forms import choices
from facilitator.models import Resource
from facilitator.plans.services import PlanData, SummaryData


def _ids(values: Iterable[Any]) -> list[int]:
    """The chosen resource ids; a value no id can be is kept as 0, which the service refuses."""
    return [int(v) if str(v).isdigit() else 0 for v in values]


class WithResources(FlaskForm):
    resource_ids = SelectMultipleField("Resources from the library (optional)", validate_choice=False)

    def offer(self, library: list[Resource], chosen: Iterable[Resource] = ()) -> WithResources:
        """The library's resources to choose from; ``chosen`` marked when the form is first shown."""
        self.resource_ids.choices = choices((str(r.id), r.title) for r in library)
        if not self.is_submitted():
            self.resource_ids.data = [str(r.id) for r in chosen]
        return self

    def chosen_ids(self) -> list[int]:
        return _ids(self.resource_ids.data or [])


class PlanForm(WithResources):
    theme = StringField("Theme")
    agenda = TextAreaField("Agenda")

    def data_typed(self) -> PlanData:
        return PlanData(theme=self.theme.data or "", agenda=self.agenda.data or "",
                        resource_ids=self.chosen_ids())


class SummaryForm(WithResources):
    text = TextAreaField("Summary for every home in the group")

    def data_typed(self) -> SummaryData:
        return SummaryData(text=self.text.data or "", resource_ids=self.chosen_ids())


class SendForm(FlaskForm):
    """Send the summary: a CSRF token only."""
