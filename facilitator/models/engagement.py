"""Engagement that acts (issue 18): a home's apologies in advance, its pauses, and the follow-ups
opened for facilitators when a home slips.

- ``Apology``: a contact (through the home's link, or a DECLINED calendar reply) says the home
  cannot make a session. While it stands, the home's register entry for that session is
  *excused* with source ``apology`` unless a person recorded the home otherwise; withdrawing it
  (until the session starts) sets ``withdrawn_at``. ``digested_at``: when the facilitators'
  daily digest of new apologies included it.
- ``HomePause``: a period (both dates included) when a home is not expected at any session of
  any of its groups. Ending a pause today moves ``ends_on``; a pause is never deleted silently.
- ``FollowUp``: opened for a group's facilitators when a home in it becomes at risk or
  disengaged; one not closed per home and group at a time (a partial unique index). Each
  ``FollowUpContact`` is one logged contact with the home. Outcomes are plain, not
  confidential text, and never name residents.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.groups import Group
from facilitator.models.homes import CareHome, Contact
from facilitator.models.meetings import MeetingSession
from facilitator.models.users import User


class ApologyReason(enum.StrEnum):
    OUTBREAK_OR_ILLNESS = "outbreak_or_illness"
    STAFFING = "staffing"
    TECHNOLOGY = "technology"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"outbreak_or_illness": "Outbreak or illness", "staffing": "Staffing",
                "technology": "Technology", "other": "Other"}[self.value]


class ApologySource(enum.StrEnum):
    LINK = "link"  # a contact through the home's link or an email's button
    CALENDAR = "calendar"  # every invited contact of the home DECLINED in their calendar


DECLINED_NOTE = "Declined in calendar"


class Apology(Base):
    __tablename__ = "apologies"
    __table_args__ = (
        UniqueConstraint("session_id", "home_id", "contact_id"),
        Index("ix_apologies_home_id", "home_id"),
        Index("ix_apologies_digested_at", "digested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(24), default=ApologyReason.OTHER.value)
    note: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(10), default=ApologySource.LINK.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[MeetingSession] = relationship()
    home: Mapped[CareHome] = relationship()
    contact: Mapped[Contact | None] = relationship()

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None


class PauseReason(enum.StrEnum):
    OUTBREAK = "outbreak"
    INSPECTION = "inspection"
    STAFFING = "staffing"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class HomePause(Base):
    __tablename__ = "home_pauses"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        Index("ix_home_pauses_home_id", "home_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    home: Mapped[CareHome] = relationship()
    created_by: Mapped[User | None] = relationship()

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class FollowUpState(enum.StrEnum):
    OPEN = "open"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class FollowUpChannel(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    VISIT = "visit"
    VIDEO = "video"
    OTHER = "other"


class FollowUpOutcome(enum.StrEnum):
    RE_ENGAGED = "re_engaged"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"
    OTHER = "other"


class FollowUp(Base):
    __tablename__ = "follow_ups"
    __table_args__ = (
        # One follow-up not closed per home and group (a partial index: SQLite and PostgreSQL).
        Index("uq_follow_ups_one_open", "home_id", "group_id", unique=True,
              sqlite_where=text("state != 'closed'"), postgresql_where=text("state != 'closed'")),
        Index("ix_follow_ups_group_id_state", "group_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(12))  # the engagement status that opened it
    reason: Mapped[str] = mapped_column(String(300))
    state: Mapped[str] = mapped_column(String(10), default=FollowUpState.OPEN.value)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    snooze_until: Mapped[date | None]
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    missed_you_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(String(12))
    outcome_note: Mapped[str] = mapped_column(String(500), default="")

    home: Mapped[CareHome] = relationship()
    group: Mapped[Group] = relationship()
    contacts: Mapped[list[FollowUpContact]] = relationship(
        back_populates="follow_up", order_by="FollowUpContact.logged_at",
        cascade="all, delete-orphan", passive_deletes=True)


class FollowUpContact(Base):
    __tablename__ = "follow_up_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    follow_up_id: Mapped[int] = mapped_column(ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(10))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    outcome: Mapped[str] = mapped_column(String(1000))
    next_step: Mapped[str] = mapped_column(String(500), default="")
    next_on: Mapped[date | None]
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    follow_up: Mapped[FollowUp] = relationship(back_populates="contacts")
    contact: Mapped[Contact | None] = relationship()
    logged_by: Mapped[User | None] = relationship()
