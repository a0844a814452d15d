"""Rounds: a pre or post questionnaire for every active contact of every home of a group, its
rules, and making one (sent at once when it is for today; the sending is
``facilitator.invites.questionnaire_sends``, which the outbox's pass also runs on the day)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from facilitator.clock import local_today
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.invites.questionnaire_sends import SENT_KINDS, send_round
from facilitator.models import Group, Questionnaire, QuestionnairePurpose, QuestionnaireRound, User
from facilitator.models.base import can_be_row_id
from facilitator.questionnaires import catalogue


@dataclass(frozen=True)
class RoundInput:
    questionnaire_id: object
    kind: object
    send_on: date | None


def round_problems(data: RoundInput, today: date) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.kind not in SENT_KINDS:
        problems["kind"] = 'Choose "pre" (at the start) or "post" (at the end).'
    questionnaire = None
    if (isinstance(data.questionnaire_id, int) and not isinstance(data.questionnaire_id, bool)
            and can_be_row_id(data.questionnaire_id)):
        questionnaire = db.session.get(Questionnaire, data.questionnaire_id)
    if questionnaire is None:
        problems["questionnaire_id"] = "Choose one of the questionnaires offered."
    elif not questionnaire.is_active or questionnaire.purpose != QuestionnairePurpose.PRE_POST:
        problems["questionnaire_id"] = "That questionnaire is not offered for pre and post rounds."
    if data.send_on is not None and data.send_on < today:
        problems["send_on"] = "Choose today or a later day."
    return problems


def create_round(group: Group, data: RoundInput, actor: User | None) -> QuestionnaireRound:
    """The round, its invites queued at once when it is for today. Flushes; the caller commits."""
    today = local_today()
    catalogue.ensure_defaults()
    if problems := round_problems(data, today):
        raise DomainError("The questionnaire was not sent: please correct the fields shown.", problems)
    assert isinstance(data.questionnaire_id, int) and isinstance(data.kind, str)
    round_ = QuestionnaireRound(group_id=group.id, questionnaire_id=data.questionnaire_id, kind=data.kind,
                                send_on=data.send_on or today, created_by_id=actor.id if actor else None)
    db.session.add(round_)
    db.session.flush()
    if round_.send_on <= today:
        send_round(round_, today)
    return round_
