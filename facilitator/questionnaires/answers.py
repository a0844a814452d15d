"""Answering: a contact's questionnaire through their link, and the pulse after a session.

The answer is written as a response with no contact and no time; separately the invite is marked
answered (its link's sealed copy dropped, so it is never sent again). The two happen in one
transaction, and the invite's conditional update makes a second answer through the same link
fail instead of adding a second response. Nothing here logs who answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.models import (
    Contact,
    MeetingSession,
    QuestionKind,
    Questionnaire,
    QuestionnaireAnswer,
    QuestionnaireInvite,
    QuestionnaireResponse,
    QuestionnaireRound,
    RoundKind,
    SessionStatus,
)
from facilitator.models.questionnaires import SCALE_VALUES
from facilitator.questionnaires import catalogue
from facilitator.questionnaires.template_data import scale_labels

TEXT_ANSWER_MAX = 2000


@dataclass(frozen=True)
class Answers:
    scale: dict[str, int]
    text: dict[str, str]


def read_answers(questionnaire: Questionnaire, form: Mapping[str, str]) -> Answers:
    """The answers a form carries, every problem at once. Every question may be left blank, but
    not all the scale ones (an empty response tells nobody anything)."""
    scale: dict[str, int] = {}
    text: dict[str, str] = {}
    problems: dict[str, str] = {}
    for question in questionnaire.questions:
        raw = (form.get(question.key) or "").strip()
        if not raw:
            continue
        if question.kind == QuestionKind.TEXT:
            if len(raw) > TEXT_ANSWER_MAX:
                problems[question.key] = f"Keep this answer to {TEXT_ANSWER_MAX} characters."
            text[question.key] = raw
        elif raw.isdigit() and int(raw) in SCALE_VALUES:
            scale[question.key] = int(raw)
        else:
            problems[question.key] = "Choose one of the five answers."
    if not scale and not problems:
        first = next((q.key for q in questionnaire.questions if q.kind == QuestionKind.SCALE), "answers")
        problems[first] = "Choose an answer to at least one question."
    if problems:
        raise DomainError("Your answers were not sent: please look at the questions marked.", problems)
    return Answers(scale, text)


def _write_response(round_id: int, answers: Answers) -> None:
    response = QuestionnaireResponse(round_id=round_id)
    response.answers = ([QuestionnaireAnswer(question_key=k, value=v) for k, v in answers.scale.items()]
                        + [QuestionnaireAnswer(question_key=k, text=t) for k, t in answers.text.items()])
    db.session.add(response)


def answer_invite(invite: QuestionnaireInvite, form: Mapping[str, str]) -> None:
    """Record the answers given through an invite's link, once. Flushes; the caller commits."""
    if invite.responded:
        raise ConflictError("Your answers are already in. Thank you.")
    answers = read_answers(invite.round.questionnaire, form)
    _mark_answered(invite.round_id, invite.contact_id)
    _write_response(invite.round_id, answers)
    db.session.flush()
    db.session.refresh(invite)


def _mark_answered(round_id: int, contact_id: int) -> None:
    marked = db.session.execute(update(QuestionnaireInvite).where(
        QuestionnaireInvite.round_id == round_id, QuestionnaireInvite.contact_id == contact_id,
        QuestionnaireInvite.responded.is_(False)).values(responded=True, token_ciphertext=None)
        .execution_options(synchronize_session=False))
    if marked.rowcount != 1:
        raise ConflictError("Your answers are already in. Thank you.")


# ------------------------------------------------------------------------------- the pulse


def pulse_window(session: MeetingSession, now: datetime) -> bool:
    """The pulse is asked from a session's end for QUESTIONNAIRE_PULSE_HOURS."""
    hours = timedelta(hours=int(current_app.config["QUESTIONNAIRE_PULSE_HOURS"]))
    return session.status == SessionStatus.SCHEDULED and session.ends_at <= now < session.ends_at + hours


def _pulse_round_of(session_id: int) -> QuestionnaireRound | None:
    return db.session.scalar(select(QuestionnaireRound).where(QuestionnaireRound.session_id == session_id))


def pulse_round(session: MeetingSession) -> QuestionnaireRound:
    """The session's pulse round, made the first time someone answers it."""
    existing = _pulse_round_of(session.id)
    if existing is not None:
        return existing
    round_ = QuestionnaireRound(
        group_id=session.group_id, kind=RoundKind.PULSE.value, session_id=session.id,
        questionnaire_id=catalogue.pulse_questionnaire().id, send_on=session.starts_on)
    try:
        with db.session.begin_nested():
            db.session.add(round_)
    except IntegrityError:  # another answer made it meanwhile
        found = _pulse_round_of(session.id)
        assert found is not None
        return found
    return round_


def pulse_answered(session_id: int, contact_id: int) -> bool:
    return db.session.scalar(select(QuestionnaireInvite.id).join(QuestionnaireRound).where(
        QuestionnaireRound.session_id == session_id, QuestionnaireInvite.contact_id == contact_id,
        QuestionnaireInvite.responded)) is not None


def answer_pulse(session: MeetingSession, contact: Contact, form: Mapping[str, str], now: datetime) -> None:
    """The contact's pulse for the session, once, while it is asked. Flushes; the caller commits."""
    if not pulse_window(session, now):
        raise DomainError("This session's quick questions have closed.", {"useful": "Closed."})
    round_ = pulse_round(session)
    answers = read_answers(round_.questionnaire, form)
    if pulse_answered(session.id, contact.id):
        raise ConflictError("Your answers for this session are already in. Thank you.")
    try:
        with db.session.begin_nested():
            db.session.add(QuestionnaireInvite(round_id=round_.id, contact_id=contact.id, responded=True))
    except IntegrityError:  # the same contact's other tap got there first
        raise ConflictError("Your answers for this session are already in. Thank you.") from None
    _write_response(round_.id, answers)
    db.session.flush()


@dataclass(frozen=True)
class PulseOffer:
    """The pulse a link page asks for one session: its questions and their scale's words."""

    session: MeetingSession
    questionnaire: Questionnaire
    labels: tuple[str, ...]


def pulse_offer(session: MeetingSession | None, contact: Contact, now: datetime) -> PulseOffer | None:
    """The session's pulse while it is asked and the contact has not answered it; else None."""
    if session is None or not pulse_window(session, now) or pulse_answered(session.id, contact.id):
        return None
    existing = _pulse_round_of(session.id)
    questionnaire = existing.questionnaire if existing else catalogue.pulse_questionnaire()
    return PulseOffer(session, questionnaire, scale_labels(questionnaire.purpose))

