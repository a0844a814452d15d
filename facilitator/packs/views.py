"""Staff downloads of a home's printed documents. Who: admins and leads every home, facilitators
the homes of their groups (now or before); supervisors none (``access.readable_home_or_404``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g

from facilitator.access import READERS, allow, can_read_home, readable_home_or_404
from facilitator.packs import documents, queries
from facilitator.security import no_store

bp = Blueprint("packs", __name__)


@bp.route("/homes/<int:home_id>/assessment-pack.pdf")
@allow(READERS)
@no_store
def assessment_pack(home_id: int) -> Any:
    return documents.assessment_pack(readable_home_or_404(home_id))


@bp.route("/assessments/<int:assessment_id>.pdf")
@allow(READERS)
@no_store
def assessment_pdf(assessment_id: int) -> Any:
    assessment = queries.round_with_details(assessment_id)
    if assessment is None or not can_read_home(g.user, assessment.home_id):
        abort(404)
    return documents.assessment_round(assessment)


@bp.route("/homes/<int:home_id>/action-plan.pdf")
@allow(READERS)
@no_store
def action_plan(home_id: int) -> Any:
    return documents.action_plan(readable_home_or_404(home_id))
