"""Attendance: a register per session, the people a provider saw, what was learnt about them,
Zoom's live webhook events, and the queue of imports still to run."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.groups import Group, can_see_group
from facilitator.models.homes import CareHome, Contact
from facilitator.models.meetings import MeetingSession
from facilitator.models.users import User


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT = "absent"
    EXCUSED = "excused"

    @property
    def label(self) -> str:
        return {"present": "Present", "late": "Late", "left_early": "Left early", "absent": "Absent",
                "excused": "Excused"}[self.value]

    @property
    def letter(self) -> str:
        """One letter per status, so a heatmap reads without colour and in print."""
        return {"present": "P", "late": "L", "left_early": "E", "absent": "A", "excused": "X"}[self.value]

    @property
    def attended(self) -> bool:
        return self in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


ATTENDED_STATUSES = frozenset(s.value for s in AttendanceStatus if s.attended)


class EngagementRating(enum.IntEnum):
    LISTENED = 1
    CONTRIBUTED = 2
    SHARED_PRACTICE = 3
    LED = 4

    @property
    def label(self) -> str:
        return {1: "Listened", 2: "Contributed", 3: "Shared practice",
                4: "Led or brought an example from their home"}[self.value]


class EntrySource(enum.StrEnum):
    """Where an entry came from when a person made it. An imported entry's source is instead the
    name of the provider whose report it came from (``zoom``, ``teams``)."""

    MANUAL = "manual"
    JOIN_LINK = "join_link"
    APOLOGY = "apology"  # excused by the home's apology in advance (issue 18), not by a person

    @property
    def label(self) -> str:
        return {"manual": "Typed", "join_link": "Join link (confirmed)",
                "apology": "Apology from the home"}[self.value]


class IgnoredAs(enum.StrEnum):
    """Why a participant belongs to no home."""

    FACILITATOR = "facilitator"
    GUEST = "guest"

    @property
    def label(self) -> str:
        return {"facilitator": "Facilitator or host", "guest": "Guest (not a home)"}[self.value]


class AliasKind(enum.StrEnum):
    EMAIL = "email"
    NAME = "name"


class ImportState(enum.StrEnum):
    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"


def can_read_register(user: User | None, group: Group) -> bool:
    """Leads read every register (they review across groups); facilitators their own groups'."""
    return can_see_group(user, group)


class AttendanceRegister(Base):
    """The register of one session. ``version`` rises with every save, so two people saving the
    same register at once cannot silently overwrite each other."""

    __tablename__ = "attendance_registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_sessions.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when a person saved the register (or an import left nothing for them to decide).
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    session: Mapped[MeetingSession] = relationship()
    taken_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class AttendanceRevision(Base):
    """The register's entries as saved at each version: what changed, and who changed it."""

    __tablename__ = "attendance_revisions"
    __table_args__ = (UniqueConstraint("register_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(ForeignKey("attendance_registers.id", ondelete="CASCADE"))
    version: Mapped[int]
    # {home_id (as text): {"status", "staff_count", "engagement", "comment", "senior_present"}}
    entries: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(10))
    saved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    saved_by: Mapped[User | None] = relationship()


class AttendanceEntry(Base):
    """One home in one session's register.

    ``status`` is None until someone (or an import) records it. ``proposed_*`` hold what an
    import found for an entry a person typed: imports never overwrite people without asking.
    """

    __tablename__ = "attendance_entries"
    __table_args__ = (
        UniqueConstraint("session_id", "home_id"),
        CheckConstraint("staff_count IS NULL OR staff_count >= 0", name="staff_count_not_negative"),
        CheckConstraint("engagement IS NULL OR (engagement >= 1 AND engagement <= 4)",
                        name="engagement_1_to_4"),
        Index("ix_attendance_entries_home_id", "home_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    status: Mapped[str | None] = mapped_column(String(12))
    staff_count: Mapped[int | None]
    engagement: Mapped[int | None]
    # A manager or team leader took part (None: not known).
    senior_present: Mapped[bool | None]
    comment: Mapped[str] = mapped_column(String(280), default="")
    source: Mapped[str | None] = mapped_column(String(10))
    minutes_attended: Mapped[int | None]
    first_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_status: Mapped[str | None] = mapped_column(String(12))
    proposed_staff_count: Mapped[int | None]
    proposed_source: Mapped[str | None] = mapped_column(String(10))

    home: Mapped[CareHome] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    @property
    def typed_by_person(self) -> bool:
        return self.source in (EntrySource.MANUAL, EntrySource.JOIN_LINK)

    @property
    def has_proposal(self) -> bool:
        return self.proposed_source is not None


class AttendanceParticipant(Base):
    """A person the provider saw in a session (rows of one person merged), and their home."""

    __tablename__ = "attendance_participants"
    __table_args__ = (UniqueConstraint("session_id", "person_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    person_key: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    source: Mapped[str] = mapped_column(String(10))
    # [[joined ISO, left ISO], ...] in UTC, merged so no two overlap.
    intervals: Mapped[list[list[str]]] = mapped_column(JSON)
    minutes: Mapped[int] = mapped_column(default=0)
    first_joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    home_id: Mapped[int | None] = mapped_column(ForeignKey("care_homes.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    matched_by: Mapped[str | None] = mapped_column(String(10))
    ignored_as: Mapped[str | None] = mapped_column(String(12))

    home: Mapped[CareHome | None] = relationship()
    contact: Mapped[Contact | None] = relationship()

    @property
    def is_unmatched(self) -> bool:
        return self.home_id is None and self.ignored_as is None


class AttendanceAlias(Base):
    """What a facilitator taught: this email or display name is that home (or is nobody's)."""

    __tablename__ = "attendance_aliases"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        CheckConstraint("home_id IS NOT NULL OR ignored_as IS NOT NULL", name="home_or_ignored"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(5))
    value: Mapped[str] = mapped_column(String(254))
    home_id: Mapped[int | None] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    ignored_as: Mapped[str | None] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)


class ZoomWebhookEvent(Base):
    """A webhook delivery we acted on, stored once however often Zoom retries it."""

    __tablename__ = "zoom_webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    event_ts: Mapped[int] = mapped_column(BigInteger)
    meeting_id: Mapped[str] = mapped_column(String(32))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_sessions.id", ondelete="SET NULL"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)


class LiveInterval(Base):
    """A participant's time in a meeting as Zoom's webhooks reported it, while it happened."""

    __tablename__ = "attendance_live_intervals"
    __table_args__ = (
        Index("ix_attendance_live_intervals_session_id_participant_key", "session_id", "participant_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"))
    participant_key: Mapped[str] = mapped_column(String(200))
    provider_user_key: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AttendanceImport(Base):
    """The queue of provider imports: one row per session, retried with back-off until done."""

    __tablename__ = "attendance_imports"
    __table_args__ = (Index("ix_attendance_imports_state_next_try_at", "state", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_sessions.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(10), default=ImportState.QUEUED.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Zoom: the meeting instance meeting.ended named; None means "the latest ended instance".
    instance_uuid: Mapped[str | None] = mapped_column(String(100))
    overwrite_manual: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[MeetingSession] = relationship()


class ReportVersion(Base):
    """A counter per group, raised in the same transaction as any change to what the engagement
    report of that group shows (registers, sessions, memberships, the group's name). Group 0
    stands for changes that touch every group (care homes, contacts). Cached reports are keyed
    on these counters, so a cached report is never older than the last committed change."""

    __tablename__ = "report_versions"

    group_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
