"""A home's action plan (issue 16): what the home will do next, by when, and who owns it.

An action is owned by a contact of the home or by a role there (``owner_role``, a
``ContactRole`` value: "the manager"), or by nobody yet. ``overdue`` is derived, never stored:
a due date before today (in the configured zone) on an action that is not done or dropped.
``ActionDigestSend`` is the ledger of the weekly overdue digest: one row per owner and week,
so a digest is queued at most once a week whoever runs the worker and however often.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import CareHome, Contact


class ActionStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


CLOSED_STATUSES = (ActionStatus.DONE.value, ActionStatus.DROPPED.value)
OPEN_STATUSES = (ActionStatus.NOT_STARTED.value, ActionStatus.IN_PROGRESS.value)


class HomeAction(Base):
    __tablename__ = "home_actions"
    __table_args__ = (Index("ix_home_actions_home_id_status", "home_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    domain_key: Mapped[str | None] = mapped_column(String(50))
    owner_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    owner_role: Mapped[str | None] = mapped_column(String(20))
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default=ActionStatus.NOT_STARTED.value)
    protected_hours: Mapped[float | None] = mapped_column(Numeric(6, 1, asdecimal=False))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    # Who changed it last: a signed-in user, or a contact through the home's link.
    updated_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    done_on: Mapped[date | None]

    home: Mapped[CareHome] = relationship()
    owner_contact: Mapped[Contact | None] = relationship(foreign_keys=[owner_contact_id])

    def is_overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today and self.status not in CLOSED_STATUSES

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ActionDigestSend(Base):
    """The weekly overdue digest queued for one owner (a contact) in one week: at most once."""

    __tablename__ = "action_digest_sends"
    __table_args__ = (UniqueConstraint("contact_id", "week_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    week_of: Mapped[date]  # the Monday of the week, in the configured zone
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
