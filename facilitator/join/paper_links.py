"""The home's printed documents through a contact's personal link (``/h/<token>/...``): the same
files staff download, only ever of the contact's own home (another home's round answers 404)."""

from __future__ import annotations

from typing import Any

from flask import abort

from facilitator.access import PUBLIC, allow
from facilitator.join.views import _contact_token, bp
from facilitator.packs import documents, queries


@bp.route("/h/<token>/assessment-pack.pdf")
@allow(PUBLIC)
def home_assessment_pack(token: str) -> Any:
    return documents.assessment_pack(_contact_token(token).contact.home)


@bp.route("/h/<token>/action-plan.pdf")
@allow(PUBLIC)
def home_action_plan(token: str) -> Any:
    return documents.action_plan(_contact_token(token).contact.home)


@bp.route("/h/<token>/assessments/<int:assessment_id>.pdf")
@allow(PUBLIC)
def home_assessment_pdf(token: str, assessment_id: int) -> Any:
    contact = _contact_token(token).contact
    assessment = queries.round_with_details(assessment_id)
    if assessment is None or assessment.home_id != contact.home_id:
        abort(404)
    return documents.assessment_round(assessment)
