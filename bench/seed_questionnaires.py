"""The bench's questionnaires (issue 20), bulk-inserted like the rest of ``bench/seed.py``: the
default pre/post and pulse templates; for every group a pre round two months ago and a post round
last week, each contact of its homes invited, seven in ten answering every statement (their
answers drift up from pre to post); and the pulse of each group's latest past session answered by
one contact per home. Returns the first group's post round, whose results the bench measures.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from facilitator.models import (
    QuestionKind,
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireInvite,
    QuestionnaireQuestion,
    QuestionnaireResponse,
    QuestionnaireRound,
)
from facilitator.questionnaires.template_data import PRE_POST, PULSE, TemplateSpec

Insert = Callable[[Any, list[dict[str, Any]]], None]
Take = Callable[[Any], int]
ANSWERED = 0.7


def seed_questionnaires(insert: Insert, take: Take, groups: list[dict[str, Any]],
                        contacts: dict[int, list[dict[str, Any]]], rng: random.Random, now: datetime,
                        today: date) -> int:
    pre_post = _template(insert, take, PRE_POST, now)
    pulse = _template(insert, take, PULSE, now)
    measured = 0
    rounds, invites, responses, answers = [], [], [], []
    for group in groups:
        people = [c["id"] for home in group["homes"] for c in contacts[home["id"]]]
        for kind, days_ago, lift in (("pre", 60, 0), ("post", 7, 1)):
            round_id = take(QuestionnaireRound.__table__)
            measured = measured or (round_id if kind == "post" else 0)
            sent = now - timedelta(days=days_ago)
            rounds.append({"id": round_id, "group_id": group["id"], "questionnaire_id": pre_post,
                           "kind": kind, "session_id": None, "send_on": today - timedelta(days=days_ago),
                           "sent_at": sent, "created_at": sent, "created_by_id": None})
            for contact_id in people:
                answered = rng.random() < ANSWERED
                invites.append({"id": take(QuestionnaireInvite.__table__), "round_id": round_id,
                                "contact_id": contact_id, "token_hash": secrets.token_hex(32),
                                "token_ciphertext": None, "sent_at": sent, "responded": answered,
                                "outbox_message_id": None, "reminder_message_id": None})
                if answered:
                    _response(responses, answers, round_id, PRE_POST, rng, lift)
        _pulse(group, contacts, pulse, rounds, invites, responses, answers, take, rng, now)
    insert(QuestionnaireRound, rounds)
    insert(QuestionnaireInvite, invites)
    insert(QuestionnaireResponse, responses)
    insert(QuestionnaireAnswer, answers)
    return measured


def _template(insert: Insert, take: Take, spec: TemplateSpec, now: datetime) -> int:
    questionnaire_id = take(Questionnaire.__table__)
    insert(Questionnaire, [{"id": questionnaire_id, "family": spec.family, "version": 1, "title": spec.title,
                            "purpose": spec.purpose, "introduction": spec.introduction, "is_active": True,
                            "created_at": now, "created_by_id": None}])
    insert(QuestionnaireQuestion, [
        {"id": take(QuestionnaireQuestion.__table__), "questionnaire_id": questionnaire_id, "position": n,
         "key": q.key, "text": q.text, "kind": q.kind} for n, q in enumerate(spec.questions, start=1)])
    return questionnaire_id


def _response(responses: list[dict[str, Any]], answers: list[dict[str, Any]], round_id: int,
              spec: TemplateSpec, rng: random.Random, lift: int) -> None:
    key = secrets.token_hex(16)
    responses.append({"id": key, "round_id": round_id})
    answers.extend({"response_id": key, "question_key": q.key, "text": None,
                    "value": min(5, rng.randint(1, 4) + lift * rng.randint(0, 1))}
                   for q in spec.questions if q.kind == QuestionKind.SCALE)


def _pulse(group: dict[str, Any], contacts: dict[int, list[dict[str, Any]]], pulse: int,
           rounds: list[dict[str, Any]], invites: list[dict[str, Any]], responses: list[dict[str, Any]],
           answers: list[dict[str, Any]], take: Take, rng: random.Random, now: datetime) -> None:
    past = [s for s in group["sessions"] if s["starts"] + timedelta(minutes=90) <= now]
    if not past:
        return
    session = past[-1]
    round_id = take(QuestionnaireRound.__table__)
    rounds.append({"id": round_id, "group_id": group["id"], "questionnaire_id": pulse, "kind": "pulse",
                   "session_id": session["id"], "send_on": session["day"], "sent_at": None,
                   "created_at": now, "created_by_id": None})
    for home in group["homes"]:
        invites.append({"id": take(QuestionnaireInvite.__table__), "round_id": round_id,
                        "contact_id": contacts[home["id"]][0]["id"], "token_hash": None,
                        "token_ciphertext": None, "sent_at": None, "responded": True,
                        "outbox_message_id": None, "reminder_message_id": None})
        _response(responses, answers, round_id, PULSE, rng, 1)
