"""Partner organisations (by the council areas they cover and their specialisms) and each home's
contacts with them (issue 17)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import CareHome
from facilitator.models.users import User


class Specialism(enum.StrEnum):
    OLDER_ADULTS = "older_adults"
    SEXUAL_VIOLENCE = "sexual_violence"
    DOMESTIC_ABUSE = "domestic_abuse"
    BEREAVEMENT = "bereavement"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    DEMENTIA = "dementia"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Partner(Base):
    """An organisation homes can be referred to. ``name_key`` (the name casefolded) is unique:
    a CSV import finds the partner it updates by name."""

    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), unique=True)
    referral_route: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    last_checked_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now, onupdate=system_now)

    area_rows: Mapped[list[PartnerArea]] = relationship(
        cascade="all, delete-orphan", order_by="PartnerArea.area")
    specialism_rows: Mapped[list[PartnerSpecialism]] = relationship(
        cascade="all, delete-orphan", order_by="PartnerSpecialism.specialism")

    @property
    def areas(self) -> list[str]:
        return sorted(row.area for row in self.area_rows)

    @property
    def specialisms(self) -> list[str]:
        order = list(Specialism)
        return sorted((row.specialism for row in self.specialism_rows),
                      key=lambda s: order.index(Specialism(s)))


class PartnerArea(Base):
    __tablename__ = "partner_areas"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    area: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class PartnerSpecialism(Base):
    __tablename__ = "partner_specialisms"

    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    specialism: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class PartnerContact(Base):
    """A home's contact with a partner, written by a facilitator of one of the home's groups."""

    __tablename__ = "partner_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    contacted_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(Text)
    next_step: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    home: Mapped[CareHome] = relationship()
    partner: Mapped[Partner] = relationship()
    recorded_by: Mapped[User | None] = relationship()
