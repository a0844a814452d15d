"""The facilitator's form for a whole round at once: a paper copy typed in, or a visit's notes."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from facilitator.forms import choices
from facilitator.models import Assessment, RatingSource

SOURCE_CHOICES = choices([(RatingSource.PAPER.value, "A paper copy the home filled in"),
                          (RatingSource.VISIT.value, "A visit to the home"),
                          (RatingSource.ONLINE.value, "The home, online")])


def _rating(value: Any) -> int | None:
    return int(value) if value not in (None, "", "None") else None


class RoundForm(FlaskForm):
    source = SelectField("Where these ratings come from", choices=SOURCE_CHOICES)
    started_on = DateField("Started on (the date on the paper copy, or of the visit)",
                           validators=[InputRequired("Enter the date the round started.")])
    completed_on = DateField("Completed on (leave empty while the round is still open)",
                             validators=[Optional()])


def round_form(assessment: Assessment) -> RoundForm:
    """A form with a rating and an evidence field per domain of the round's framework
    (``rating_<key>``, ``evidence_<key>``), filled from the round."""

    class Form(RoundForm):
        pass

    scale = [(str(v), f"{v} {label}") for v, label in assessment.framework.scale]
    data: dict[str, Any] = {"source": assessment.source,
                            "started_on": assessment.started_on, "completed_on": assessment.completed_on}
    for domain in assessment.framework.domains:
        setattr(Form, f"rating_{domain.key}", RadioField(
            domain.title, choices=choices([("", "Not rated"), *scale]), coerce=_rating,
            validate_choice=False))
        setattr(Form, f"evidence_{domain.key}", TextAreaField(
            f"Evidence: {domain.title}", validators=[Length(max=10_000)]))
        saved = assessment.rating_for(domain.key)
        data[f"rating_{domain.key}"] = saved.rating if saved else None
        data[f"evidence_{domain.key}"] = saved.evidence if saved else ""
    return Form(data=data)


def renames(assessment: Assessment) -> dict[str, str]:
    """The service's field names (``ratings.<key>.rating``) to this form's."""
    keys = assessment.framework.domain_keys()
    return {**{f"ratings.{k}.rating": f"rating_{k}" for k in keys},
            **{f"ratings.{k}": f"rating_{k}" for k in keys}}
