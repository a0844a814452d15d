"""Sessions of a group (called MeetingSession in code: "session" means too many things)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.models.base import Base, UTCDateTime, utcnow
from facilitator.models.groups import Group
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
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.SCHEDULED.value)
    provider: Mapped[str] = mapped_column(String(10))
    # Provider ids are strings: Zoom's exceed 32 bits and Graph's are opaque.
    provider_meeting_id: Mapped[str | None] = mapped_column(String(512))
    join_url: Mapped[str | None] = mapped_column(Text)
    passcode: Mapped[str | None] = mapped_column(String(64))
    dial_in: Mapped[str | None] = mapped_column(String(200))
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    group: Mapped[Group] = relationship()
    created_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)
