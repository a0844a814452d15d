"""Questionnaires over the API (issue 20): the templates, sending a round, and its results.

A group's facilitators and admins send rounds; leads, admins and the group's facilitators read
results (another group's facilitator gets 404, as if it did not exist). Results are aggregates
only, with small numbers suppressed (``facilitator.questionnaires.results``); no operation reads
who answered what, because nothing stores it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId
from facilitator.models import Group, Questionnaire, QuestionnaireRound, can_manage_group, can_see_group
from facilitator.questionnaires import catalogue, results, rounds


class QuestionOut(Output):
    key: str
    text: str
    kind: str = Field(description='"scale" (1 to 5) or "text" (optional free text)')


class QuestionnaireOut(Output):
    id: int
    title: str
    purpose: str = Field(description='"pre_post" or "pulse"')
    version: int
    introduction: str
    questions: list[QuestionOut]

    @classmethod
    def of(cls, q: Questionnaire) -> QuestionnaireOut:
        return cls(id=q.id, title=q.title, purpose=q.purpose, version=q.version, introduction=q.introduction,
                   questions=[QuestionOut(key=x.key, text=x.text, kind=x.kind) for x in q.questions])


class QuestionnaireList(Output):
    questionnaires: list[QuestionnaireOut]


class RoundIn(Input):
    questionnaire_id: RowId
    kind: str = Field(max_length=10, description='"pre" or "post"')
    send_on: date | None = Field(default=None, description="Today (the default) or later")


class RoundOut(Output):
    id: int
    group_id: int
    questionnaire_id: int
    kind: str
    send_on: date
    sent_at: datetime | None
    invited: int

    @classmethod
    def of(cls, r: QuestionnaireRound) -> RoundOut:
        return cls(id=r.id, group_id=r.group_id, questionnaire_id=r.questionnaire_id, kind=r.kind,
                   send_on=r.send_on, sent_at=r.sent_at, invited=results.invited_count(r))


class QuestionResultOut(Output):
    key: str
    text: str
    kind: str
    answered: int | None = Field(description="None when suppressed")
    counts: dict[str, int] | None = Field(description='"1" to "5": how many; None when suppressed')
    mean: float | None
    suppressed: bool = Field(description="Fewer than QUESTIONNAIRE_MIN_CELL answered")
    answers: list[str] | None = Field(default=None, description="A text question's answers, sorted, "
                                                                "when not suppressed")


class ResultsOut(Output):
    round_id: int
    kind: str
    questionnaire_id: int
    responses: int
    invited: int
    min_cell: int
    questions: list[QuestionResultOut]


@operation("/questionnaires", "GET", roles=READERS, response=QuestionnaireList,
           summary="The questionnaire templates new rounds can use (pre/post and pulse)")
def list_questionnaires() -> QuestionnaireList:
    return QuestionnaireList(questionnaires=[QuestionnaireOut.of(q) for q in catalogue.offered()])


@operation("/groups/<int:group_id>/questionnaire-rounds", "POST", roles=MANAGERS, body=RoundIn,
           response=RoundOut, status=201,
           summary="Send a pre or post questionnaire to every contact of the group's homes")
def create_questionnaire_round(group_id: int, body: RoundIn) -> RoundOut:
    group = get_or_404(Group, group_id)
    if not can_see_group(g.user, group):
        abort(404)
    if not can_manage_group(g.user, group):
        abort(403)
    data = rounds.RoundInput(body.questionnaire_id, body.kind, body.send_on)
    return RoundOut.of(rounds.create_round(group, data, g.user))


def readable_round(round_id: int) -> QuestionnaireRound:
    """A round whose group the signed-in user sees; else 404."""
    round_ = get_or_404(QuestionnaireRound, round_id)
    if not can_see_group(g.user, get_or_404(Group, round_.group_id)):
        abort(404)
    return round_


@operation("/questionnaire-rounds/<int:round_id>/results", "GET", roles=READERS, response=ResultsOut,
           summary="A round's results: counts per answer, small numbers suppressed")
def questionnaire_round_results(round_id: int) -> ResultsOut:
    found: dict[str, Any] = results.round_results(readable_round(round_id))
    return ResultsOut(**found)
