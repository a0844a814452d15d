"""Learning: what the pre/post questionnaires and the pulse say, over the period (issue 20).

The rounds are the groups' (the group filter applies): pre and post rounds whose day falls in the
period, and the pulses of sessions in it. Answers are anonymous and belong to no home, so the
region and council-area filters cannot narrow them; the section says so. Counts and means only,
each suppressed under ``QUESTIONNAIRE_MIN_CELL`` (``questionnaires.results``, the one rule);
no free text ever reaches the report.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import Questionnaire, QuestionnaireRound, RoundKind
from facilitator.questionnaires import results
from facilitator.reports.filters import ReportFilters

NOT_NARROWED = ("Questionnaire answers are anonymous and belong to no home: the region and "
                "council-area filters do not narrow them.")


def _rounds(filters: ReportFilters) -> list[QuestionnaireRound]:
    query = select(QuestionnaireRound).where(
        QuestionnaireRound.send_on >= filters.date_from, QuestionnaireRound.send_on <= filters.date_to,
        (QuestionnaireRound.sent_at.is_not(None)) | (QuestionnaireRound.kind == RoundKind.PULSE.value))
    if filters.group_id is not None:
        query = query.where(QuestionnaireRound.group_id == filters.group_id)
    return list(db.session.scalars(query.order_by(QuestionnaireRound.id)))


def _statements(rounds: list[QuestionnaireRound]) -> list[Any]:
    """The scale questions of the pre/post questionnaires used, each key once (newest wording)."""
    ids = {r.questionnaire_id for r in rounds}
    questions = {}
    for questionnaire in db.session.scalars(select(Questionnaire).where(Questionnaire.id.in_(ids))
                                            .order_by(Questionnaire.id)):
        questions.update({q.key: q for q in questionnaire.questions})
    return list(questions.values())


def learning(filters: ReportFilters) -> dict[str, Any]:
    found = _rounds(filters)
    by_kind = {kind: [r.id for r in found if r.kind == kind] for kind in RoundKind}
    pre, post, pulse = by_kind[RoundKind.PRE], by_kind[RoundKind.POST], by_kind[RoundKind.PULSE]
    rows = results.change(pre, post, _statements([r for r in found if r.kind != RoundKind.PULSE]))
    useful = results.scale_figures(results.scale_counts(pulse).get("useful", {}))
    return {
        "available": True, "note": NOT_NARROWED, "min_cell": results.min_cell(),
        "rounds": {"pre": len(pre), "post": len(post), "pulse": len(pulse)},
        "responses": {"pre": results.response_count(pre), "post": results.response_count(post),
                      "pulse": results.response_count(pulse)},
        "statements": [{"statement": r["key"], **r} for r in rows],
        "pulse_useful": {"mean": useful["mean"], "suppressed": useful["suppressed"]},
    }
