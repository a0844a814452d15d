"""PSL groups (cohorts of homes), their facilitators and the homes' membership history."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, and_, exists, or_
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import CareHome
from facilitator.models.users import Role, User
from integrations.providers.registry import DEFAULT_PROVIDER, NAMES

# The names a group's or session's provider may have; what each one is lives on its class in
# ``integrations.providers.registry`` (ask ``facilitator.providers.hub``).
Provider = enum.StrEnum("Provider", {name.upper(): name for name in NAMES})


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
    provider: Mapped[str] = mapped_column(String(10), default=DEFAULT_PROVIDER)
    default_duration_minutes: Mapped[int] = mapped_column(default=90)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    facilitators: Mapped[list[User]] = relationship(
        secondary=group_facilitators, order_by=User.name
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="group", order_by="Membership.joined_on", cascade="all, delete-orphan"
    )

    def is_facilitated_by(self, user: User) -> bool:
        return any(f.id == user.id for f in self.facilitators)

    def current_memberships(self, on: date) -> list[Membership]:
        return [m for m in self.memberships if m.is_member_on(on)]


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

    @hybrid_method
    def is_member_on(self, day: date) -> bool:
        """The membership rule: a member from the day it joins until the day before it leaves."""
        return member_on(self.joined_on, self.left_on, day)

    @is_member_on.inplace.expression
    @classmethod
    def _is_member_on(cls, day: Any) -> Any:
        """The same rule in SQL (``day`` a value or a column)."""
        return and_(cls.joined_on <= day, or_(cls.left_on.is_(None), cls.left_on > day))

    @classmethod
    def current_exists(cls, group_id: Any, home_id: Any, on: Any) -> Any:
        """SQL: a membership of ``home_id`` in ``group_id`` current on ``on`` exists (each
        argument a column or value)."""
        return exists().where(cls.group_id == group_id, cls.home_id == home_id, cls.is_member_on(on))


def can_manage_group(user: User | None, group: Group) -> bool:
    """Who books and changes a group's sessions and takes its registers: admins for every group,
    facilitators for their own."""
    if user is None or not user.is_active:
        return False
    return user.role == Role.ADMIN or (user.role == Role.FACILITATOR and group.is_facilitated_by(user))


def can_see_group(user: User | None, group: Group) -> bool:
    """Who sees a group's sessions, registers, invitations and join links: leads and admins every
    group, facilitators their own."""
    if user is not None and user.is_active and user.role == Role.LEAD:
        return True
    return can_manage_group(user, group)


def member_on(joined_on: date, left_on: date | None, day: date) -> bool:
    """:meth:`Membership.is_member_on` for a membership's dates as plain values (``left_on`` is
    the first day the home is no longer a member)."""
    return joined_on <= day and (left_on is None or day < left_on)
