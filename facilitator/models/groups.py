"""PSL groups (cohorts of homes), their facilitators and the homes' membership history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, exists, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.models.base import Base, UTCDateTime, utcnow
from facilitator.models.homes import CareHome
from facilitator.models.users import User


class Provider(enum.StrEnum):
    ZOOM = "zoom"
    TEAMS = "teams"
    LINK = "link"

    @property
    def label(self) -> str:
        return {"zoom": "Zoom", "teams": "Microsoft Teams", "link": "A link you paste"}[self.value]


group_facilitators = Table(
    "group_facilitators",
    Base.metadata,
    Column("group_id", ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    provider: Mapped[str] = mapped_column(String(10), default=Provider.ZOOM.value)
    default_duration_minutes: Mapped[int] = mapped_column(default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilitators: Mapped[list[User]] = relationship(
        secondary=group_facilitators, order_by=User.name
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", order_by="Membership.joined_on", cascade="all, delete-orphan"
    )

    def is_facilitated_by(self, user: User) -> bool:
        return any(f.id == user.id for f in self.facilitators)

    def current_memberships(self, on: date) -> list[Membership]:
        return [m for m in self.memberships if m.is_current(on)]


class Membership(Base):
    """A home's time in a group. Leaving sets ``left_on``; the row stays as history."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="left_after_joined"),
        Index("ix_memberships_group_id_home_id", "group_id", "home_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]

    group: Mapped[Group] = relationship(back_populates="memberships")
    home: Mapped[CareHome] = relationship()

    def is_current(self, on: date) -> bool:
        """True when the home is a member on ``on`` (the day it leaves it no longer is)."""
        return self.joined_on <= on and (self.left_on is None or on < self.left_on)

    @classmethod
    def current_exists(cls, group_id: Any, home_id: Any, on: Any) -> Any:
        """:meth:`is_current` in SQL: a membership of ``home_id`` in ``group_id`` current on ``on``
        exists (each argument a column or value)."""
        return exists().where(cls.group_id == group_id, cls.home_id == home_id, cls.joined_on <= on,
                              or_(cls.left_on.is_(None), cls.left_on > on))
