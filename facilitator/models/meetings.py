"""Sessions of a group (called MeetingSession in code: "session" means too many things), and the
shared state the provider sync keeps in the database: cached provider tokens, per-host daily
budgets and the circuit breaker of each provider."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.groups import Group, can_manage_group
from facilitator.models.users import User


class SessionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class SyncState(enum.StrEnum):
    SYNCED = "synced"
    PENDING = "pending"
    FAILED = "failed"


class SyncAction(enum.StrEnum):
    """What the provider still has to be told, if anything."""

    NONE = "none"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


def new_ical_uid() -> str:
    return f"{uuid.uuid4()}@facilitator"


class MeetingSession(Base):
    __tablename__ = "meeting_sessions"
    __table_args__ = (
        Index("ix_meeting_sessions_group_id_starts_at", "group_id", "starts_at"),
        Index("ix_meeting_sessions_sync_state_next_sync_at", "sync_state", "next_sync_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    series_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # In a series with a ``series`` row: the start its rule gave this session (the occurrence's
    # RECURRENCE-ID), kept when the session is moved on its own.
    series_slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    # The calendar date of the start where the session takes place, kept in step with starts_at
    # and timezone on every flush: reports compare it with membership dates in SQL.
    starts_on: Mapped[date] = mapped_column()
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.SCHEDULED.value)
    provider: Mapped[str] = mapped_column(String(10))
    # Provider ids are strings: Zoom's exceed 32 bits and Graph's are opaque.
    provider_meeting_id: Mapped[str | None] = mapped_column(String(512))
    join_url: Mapped[str | None] = mapped_column(Text)
    passcode: Mapped[str | None] = mapped_column(String(64))
    dial_in: Mapped[str | None] = mapped_column(String(200))
    # The provider user the meeting belongs to (a Zoom host); None means the configured default.
    provider_host: Mapped[str | None] = mapped_column(String(254))
    sync_state: Mapped[str] = mapped_column(String(10), default=SyncState.PENDING.value)
    sync_action: Mapped[str] = mapped_column(String(10), default=SyncAction.CREATE.value)
    sync_error: Mapped[str | None] = mapped_column(Text)
    sync_attempts: Mapped[int] = mapped_column(default=0)
    # Set when a create may have reached the provider: the next try looks for it first.
    create_maybe_sent: Mapped[bool] = mapped_column(default=False)
    next_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ical_uid: Mapped[str] = mapped_column(String(100), unique=True, default=new_ical_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now, onupdate=system_now)

    group: Mapped[Group] = relationship()
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def local_date(self) -> date:
        """The session's date where it takes place: homes' membership is decided on this day."""
        return local_start_date(self.starts_at, self.timezone)

    @property
    def is_backfill(self) -> bool:
        """Recorded after it started (a session that already happened): no meeting, no invites."""
        return self.starts_at <= self.created_at

    def can_manage(self, user: User | None) -> bool:
        return can_manage_group(user, self.group)


def local_start_date(starts_at: datetime, timezone: str) -> date:
    """The calendar date of ``starts_at`` (aware) in ``timezone``."""
    return starts_at.astimezone(ZoneInfo(timezone)).date()


@event.listens_for(MeetingSession, "before_insert")
@event.listens_for(MeetingSession, "before_update")
def _keep_starts_on(_mapper: Any, _connection: Any, session: MeetingSession) -> None:
    session.starts_on = local_start_date(session.starts_at, session.timezone)


class MeetingSessionRevision(Base):
    """What a session looked like at each version, so a conflicting edit can say what changed."""

    __tablename__ = "meeting_session_revisions"
    __table_args__ = (UniqueConstraint("session_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    changed_by: Mapped[User | None] = relationship()


class ProviderToken(Base):
    """A provider access token shared by every process. ``token`` is encrypted (it is a secret)."""

    __tablename__ = "provider_tokens"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now, onupdate=system_now)


class ProviderHostBudget(Base):
    """Calls made (or reserved) today for one provider host, against the provider's daily cap."""

    __tablename__ = "provider_host_budgets"

    provider: Mapped[str] = mapped_column(String(10), primary_key=True)
    host: Mapped[str] = mapped_column(String(254), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)  # the UTC day the cap counts
    used: Mapped[int] = mapped_column(default=0)


class ProviderCircuit(Base):
    """Consecutive failures of one provider; while ``open_until`` is ahead nobody calls it."""

    __tablename__ = "provider_circuits"

    provider: Mapped[str] = mapped_column(String(10), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    open_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now, onupdate=system_now)
