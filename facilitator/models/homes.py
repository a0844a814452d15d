"""Care homes and the people at them who receive invites."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime


class ContactRole(enum.StrEnum):
    MANAGER = "manager"
    TEAM_LEADER = "team_leader"
    CARE_WORKER = "care_worker"
    SENIOR_MANAGER = "senior_manager"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class CareHome(Base):
    __tablename__ = "care_homes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100), default="")
    # A key of facilitator.conditions.areas.COUNCIL_AREAS (Scotland's 32 council areas), or None.
    local_authority: Mapped[str | None] = mapped_column(String(40))
    beds: Mapped[int | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="home", order_by="Contact.name", cascade="all, delete-orphan"
    )

    # ``protected_time_agreed_on``: the day the home's current protected-time agreement was agreed,
    # read from its agreements (defined with them, in ``facilitator.models.agreements``).

    @property
    def protected_time_agreed(self) -> bool:
        return self.protected_time_agreed_on is not None


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("home_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[str] = mapped_column(String(20), default=ContactRole.OTHER.value)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    home: Mapped[CareHome] = relationship(back_populates="contacts")
