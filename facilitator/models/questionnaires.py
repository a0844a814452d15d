"""Questionnaires (issue 20): pre/post and pulse templates, rounds sent to a group, anonymous answers.

Anonymity is in the schema. ``QuestionnaireInvite`` is the completion ledger: who was asked and
whether they have answered (a flag, no time), so reminders reach only non-responders.
``QuestionnaireResponse`` holds the answers with no contact, no invite, no time and a random key
(not a counter), so neither a column nor the order of rows ties an answer to the person who gave
it. A round's questionnaire is a fixed version: editing a questionnaire in use makes a new one.
"""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import Contact

SCALE_VALUES = (1, 2, 3, 4, 5)


class QuestionnairePurpose(enum.StrEnum):
    PRE_POST = "pre_post"  # sent to every contact of a group at its start and at its end
    PULSE = "pulse"  # two questions on the join and home pages after each session


class QuestionKind(enum.StrEnum):
    SCALE = "scale"  # 1 to 5
    TEXT = "text"  # optional free text


class RoundKind(enum.StrEnum):
    PRE = "pre"
    POST = "post"
    PULSE = "pulse"


class Questionnaire(Base):
    """One version of a template. ``family`` groups the versions of one template (a copy starts
    a family of its own); only the newest active version of a family is offered for new rounds."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("family", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    family: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(10))
    introduction: Mapped[str] = mapped_column(Text, default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    questions: Mapped[list[QuestionnaireQuestion]] = relationship(
        back_populates="questionnaire", cascade="all, delete-orphan",
        order_by="QuestionnaireQuestion.position")


class QuestionnaireQuestion(Base):
    __tablename__ = "questionnaire_questions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    key: Mapped[str] = mapped_column(String(40))  # the same statement keeps its key across versions
    text: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10), default=QuestionKind.SCALE.value)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="questions")


class QuestionnaireRound(Base):
    """A questionnaire sent to a group's contacts on a day (pre or post), or a session's pulse."""

    __tablename__ = "questionnaire_rounds"
    __table_args__ = (UniqueConstraint("session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(10))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    send_on: Mapped[date]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when its invites were queued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    questionnaire: Mapped[Questionnaire] = relationship()


class QuestionnaireInvite(Base):
    """Who was asked in a round and whether they answered: never what they answered."""

    __tablename__ = "questionnaire_invites"
    __table_args__ = (UniqueConstraint("round_id", "contact_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_rounds.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_ciphertext: Mapped[str | None] = mapped_column(Text)  # dropped once answered
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded: Mapped[bool] = mapped_column(default=False)
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    reminder_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))

    round: Mapped[QuestionnaireRound] = relationship()
    contact: Mapped[Contact] = relationship()


def new_response_key() -> str:
    return secrets.token_hex(16)


class QuestionnaireResponse(Base):
    """One person's answers to one round, with nothing that says who or when."""

    __tablename__ = "questionnaire_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_response_key)
    round_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaire_rounds.id", ondelete="CASCADE"), index=True)

    answers: Mapped[list[QuestionnaireAnswer]] = relationship(cascade="all, delete-orphan")


class QuestionnaireAnswer(Base):
    __tablename__ = "questionnaire_answers"

    response_id: Mapped[str] = mapped_column(
        ForeignKey("questionnaire_responses.id", ondelete="CASCADE"), primary_key=True)
    question_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int | None]  # a scale answer, 1 to 5
    text: Mapped[str | None] = mapped_column(Text)  # a free-text answer
