"""A session's plan and its summary (issue 19).

The plan (a theme and a short agenda) goes out with the invitation and shows on the homes'
pages. The summary is written after the session and sent to every home of the group: it is
**not** the confidential session note (``SessionNote``, sealed and audited) and is never built
from one. ``sent_at`` is the ledger of its one sending: a conditional ``UPDATE ... WHERE sent_at
IS NULL`` decides which of two concurrent sends goes ahead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.meetings import MeetingSession
from facilitator.models.resources import Resource
from facilitator.models.users import User

THEME_MAX = 200
AGENDA_MAX = 2000
SUMMARY_MAX = 5000

# The library's resources a plan or a summary points the homes to.
plan_resources = Table(
    "plan_resources",
    Base.metadata,
    Column("plan_id", ForeignKey("session_plans.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
)
summary_resources = Table(
    "summary_resources",
    Base.metadata,
    Column("summary_id", ForeignKey("session_summaries.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
)


class SessionPlan(Base):
    __tablename__ = "session_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"),
                                            unique=True)
    theme: Mapped[str] = mapped_column(String(THEME_MAX), default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    session: Mapped[MeetingSession] = relationship()
    updated_by: Mapped[User | None] = relationship()
    resources: Mapped[list[Resource]] = relationship(secondary=plan_resources, order_by=Resource.title)

    @property
    def is_empty(self) -> bool:
        return not (self.theme or self.agenda or self.resources)


class SessionSummary(Base):
    __tablename__ = "session_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("meeting_sessions.id", ondelete="CASCADE"),
                                            unique=True)
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    queued: Mapped[int] = mapped_column(default=0)  # emails queued when it was sent

    session: Mapped[MeetingSession] = relationship()
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])
    resources: Mapped[list[Resource]] = relationship(secondary=summary_resources, order_by=Resource.title)

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None
