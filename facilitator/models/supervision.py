"""Confidential session notes, the reflective supervision log and the tamper-evident audit trail.

Note text, reflections, themes and action text exist here only as AES-GCM ciphertext
(``ciphertext`` with the ``key_id`` it was sealed under; see ``facilitator.supervision.crypto``).
Every other column is metadata that leads and admins may see: dates, counts, flags.

The access rules live on the models (``can_read``, ``can_change``, ``can_view_audit``) so that
views and services ask the object rather than repeat the rule.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    event,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import CareHome
from facilitator.models.meetings import MeetingSession
from facilitator.models.users import Role, User

# Who is reading: the web pages or the JSON API. The API hands confidential text only to its author.
VIA_WEB = "web"
VIA_API = "api"


class SupervisionFormat(enum.StrEnum):
    ONE_TO_ONE = "one_to_one"
    GROUP = "group"
    PEER = "peer"

    @property
    def label(self) -> str:
        return {"one_to_one": "One-to-one", "group": "Group", "peer": "Peer"}[self.value]


def _shared_with(user: User | None, record: SessionNote | SupervisionRecord) -> bool:
    """Shared with this supervisor: the one who was the author's supervisor when it was shared."""
    return (user is not None and user.role == Role.SUPERVISOR and record.is_shared_with_supervisor
            and record.shared_with_id is not None and record.shared_with_id == user.id)


class SessionNote(Base):
    """A facilitator's confidential note on a session, optionally about one home."""

    __tablename__ = "session_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Deleting a session or home never deletes a confidential note silently: the link is cleared.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("meeting_sessions.id", ondelete="SET NULL"), index=True)
    home_id: Mapped[int | None] = mapped_column(ForeignKey("care_homes.id", ondelete="SET NULL"))
    is_shared_with_supervisor: Mapped[bool] = mapped_column(default=False)
    # Who it was shared with: the author's supervisor at the moment of sharing.
    shared_with_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    session: Mapped[MeetingSession | None] = relationship()
    home: Mapped[CareHome | None] = relationship()

    audit_type = "note"

    def associated_data(self) -> bytes:
        """Bound into the ciphertext: copied onto another row or author, it no longer decrypts."""
        return f"facilitator/session_notes/{self.id}/{self.author_id}".encode()

    @property
    def owner_id(self) -> int:
        return self.author_id

    def can_read(self, user: User | None, via: str) -> bool:
        if user is None:
            return False
        if user.id == self.author_id:
            return True
        return via == VIA_WEB and _shared_with(user, self)

    def can_change(self, user: User | None) -> bool:
        return user is not None and user.id == self.author_id

    def can_view_audit(self, user: User | None) -> bool:
        return user is not None and (user.id == self.author_id or user.role == Role.ADMIN)


class SupervisionRecord(Base):
    """One reflective supervision a facilitator had. Themes and reflections are sealed together."""

    __tablename__ = "supervision_records"
    __table_args__ = (
        Index("ix_supervision_records_facilitator_id_held_on", "facilitator_id", "held_on"),
        CheckConstraint("minutes > 0", name="minutes_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    external_supervisor: Mapped[str | None] = mapped_column(String(200))
    # Set when the supervisor wrote the record for their supervisee; it is still the facilitator's.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    held_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int]
    format: Mapped[str] = mapped_column(String(12))
    next_on: Mapped[date | None] = mapped_column(Date)
    is_shared_with_supervisor: Mapped[bool] = mapped_column(default=False)
    # Who it was shared with: the author's supervisor at the moment of sharing.
    shared_with_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    facilitator: Mapped[User] = relationship(foreign_keys=[facilitator_id])
    supervisor: Mapped[User | None] = relationship(foreign_keys=[supervisor_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    actions: Mapped[list[SupervisionAction]] = relationship(
        back_populates="record", order_by="SupervisionAction.position", cascade="all, delete-orphan")
    comments: Mapped[list[SupervisionComment]] = relationship(
        back_populates="record", order_by="SupervisionComment.id", cascade="all, delete-orphan")

    audit_type = "supervision"

    def associated_data(self) -> bytes:
        return f"facilitator/supervision_records/{self.id}/{self.facilitator_id}".encode()

    @property
    def owner_id(self) -> int:
        return self.facilitator_id

    @property
    def supervisor_name(self) -> str:
        return self.supervisor.name if self.supervisor else (self.external_supervisor or "")

    @property
    def format_label(self) -> str:
        return SupervisionFormat(self.format).label

    @property
    def actions_done(self) -> int:
        return sum(1 for a in self.actions if a.is_done)

    def can_read(self, user: User | None, via: str) -> bool:
        if user is None:
            return False
        if user.id == self.facilitator_id:
            return True
        return via == VIA_WEB and _shared_with(user, self)

    def can_change(self, user: User | None) -> bool:
        return user is not None and user.id == self.facilitator_id

    def can_view_audit(self, user: User | None) -> bool:
        return user is not None and (user.id == self.facilitator_id or user.role == Role.ADMIN)

    def can_comment(self, user: User | None) -> bool:
        """On a shared record: the supervisor it is shared with, and the facilitator in reply."""
        return user is not None and self.is_shared_with_supervisor and (
            user.id == self.facilitator_id or _shared_with(user, self))


class SupervisionComment(Base):
    """A comment on a shared supervision record, sealed like the record. The facilitator reads
    every comment on their record; the supervisor reads them while the record is shared with them."""

    __tablename__ = "supervision_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_records.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    record: Mapped[SupervisionRecord] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()

    def associated_data(self) -> bytes:
        return (f"facilitator/supervision_comments/{self.id}/{self.record_id}/"
                f"{self.record.facilitator_id}/{self.author_id}").encode()

    def can_read(self, user: User | None, via: str) -> bool:
        """With the record; and by its own author while they may still comment on the record (the
        API hands confidential text only to its author, so a supervisor reads their own there)."""
        if self.record.can_read(user, via):
            return True
        return user is not None and user.id == self.author_id and self.record.can_comment(user)


class SupervisionAction(Base):
    """An action agreed in supervision. Its text is sealed; the done flag is plain (leads count it)."""

    __tablename__ = "supervision_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("supervision_records.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    is_done: Mapped[bool] = mapped_column(default=False)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16), index=True)

    record: Mapped[SupervisionRecord] = relationship(back_populates="actions")

    def associated_data(self) -> bytes:
        return (f"facilitator/supervision_actions/{self.id}/{self.record_id}/"
                f"{self.record.facilitator_id}").encode()


SEALED_MODELS: tuple[type[Any], ...] = (SessionNote, SupervisionRecord, SupervisionAction,
                                         SupervisionComment)


class AuditEvent(Base):
    """One row of the audit trail. Rows are only ever added; each hashes its content and the
    previous row's hash, so a changed or removed row breaks the chain (``flask audit verify``).

    ``id`` is the row's position in the chain (1, 2, 3, … without gaps), handed out under the
    lock on ``AuditChainHead``. No foreign keys: the trail outlives the users and notes it names.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object_type_object_id", "object_type", "object_id"),
        Index("ix_audit_events_owner_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None]
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10))
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int | None]
    owner_id: Mapped[int | None]
    via: Mapped[str] = mapped_column(String(8))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    detail: Mapped[str] = mapped_column(String(300), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The one row that holds the chain's last position and hash; appending locks it."""

    __tablename__ = "audit_chain_heads"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditTrailIsAppendOnly(Exception):
    """Raised when app code tries to change or delete an audit row."""


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changes(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditTrailIsAppendOnly(f"audit row {target.id} cannot be changed or deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) == AuditEvent.__tablename__:
        raise AuditTrailIsAppendOnly("audit rows cannot be changed or deleted")
