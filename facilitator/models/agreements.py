"""Protected-time agreements between a home's leadership and the programme (issue 17).

An agreement names a senior sponsor (a contact of the home, or a person with an email), the
hours a month the home protects for PSL sessions, for its implementation group and for
implementation tasks, and the period it covers. Its stored ``status`` moves draft → sent →
accepted | signed_on_paper, and to superseded when a newer one is accepted; ``expired`` is not
stored but read from the review date (:attr:`Agreement.state`), so nothing has to flip it.

``CareHome.protected_time_agreed_on`` (a column before 0021) is read from here: the day the
home's current accepted or signed agreement was agreed.

The sponsor's link (``/a/<token>``) is stored as its SHA-256, like every link, and kept sealed
(``facilitator.sealed``) so the 14-day reminder can carry the same link again.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.homes import CareHome, Contact
from facilitator.models.users import User


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    SIGNED_ON_PAPER = "signed_on_paper"
    SUPERSEDED = "superseded"
    EXPIRED = "expired"  # never stored: an agreement past its review date reads as expired

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


AGREED_STATUSES = (AgreementStatus.ACCEPTED.value, AgreementStatus.SIGNED_ON_PAPER.value)


class AgreementSource(enum.StrEnum):
    ONLINE = "online"  # written here; accepted through the sponsor's link or signed on paper
    RECORDED = "recorded"  # a date typed in (the old protected_time_agreed_on)


class Agreement(Base):
    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("psl_hours_per_month >= 0 AND implementation_hours_per_month >= 0 "
                        "AND task_hours_per_month >= 0", name="hours_not_negative"),
        CheckConstraint("review_on >= starts_on", name="review_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.DRAFT.value)
    source: Mapped[str] = mapped_column(String(10), default=AgreementSource.ONLINE.value)
    sponsor_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    sponsor_name: Mapped[str] = mapped_column(String(200), default="")
    sponsor_email: Mapped[str] = mapped_column(String(254), default="")
    psl_hours_per_month: Mapped[float] = mapped_column(Float, default=0)
    implementation_hours_per_month: Mapped[float] = mapped_column(Float, default=0)
    task_hours_per_month: Mapped[float] = mapped_column(Float, default=0)
    starts_on: Mapped[date]
    review_on: Mapped[date]
    text: Mapped[str] = mapped_column(Text, default="")
    # The day it was agreed: accepted online (local date), signed on paper, or the date recorded.
    agreed_on: Mapped[date | None]
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by: Mapped[str] = mapped_column(String(200), default="")  # the name typed, or who signed
    accepted_ip: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_ciphertext: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    home: Mapped[CareHome] = relationship()
    sponsor_contact: Mapped[Contact | None] = relationship()
    created_by: Mapped[User | None] = relationship()

    def state(self, today: date) -> AgreementStatus:
        """The status as people see it: a live agreement past its review date has expired."""
        if self.status != AgreementStatus.SUPERSEDED and today > self.review_on:
            return AgreementStatus.EXPIRED
        return AgreementStatus(self.status)

    @property
    def hours_per_month(self) -> float:
        return self.psl_hours_per_month + self.implementation_hours_per_month + self.task_hours_per_month


class AgreementReminder(Base):
    """The ledger of reminders queued for an agreement: each kind at most once, ever."""

    __tablename__ = "agreement_reminders"
    __table_args__ = (UniqueConstraint("agreement_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "review" (facilitators) or "sponsor"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)


class MembershipReadiness(Base):
    """What a facilitator records of a home's readiness in one group (the other items of the
    checklist are read from the data: ``facilitator.conditions.readiness``)."""

    __tablename__ = "membership_readiness"

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id", ondelete="CASCADE"), unique=True)
    visited_on: Mapped[date | None]
    visited_by: Mapped[str] = mapped_column(String(200), default="")
    met_manager_on: Mapped[date | None]
    # A device test the facilitator saw with the home (a call on the home's iPad, say): for homes
    # whose groups use pasted links, which have no test meeting to open from the home's page.
    device_tested_on: Mapped[date | None]
    champion_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    champion: Mapped[Contact | None] = relationship()


class DeviceTest(Base):
    """A home pressed "Test this iPad" on its page: it opened its provider's own test meeting.

    Only the browser and the kind of device are kept (``facilitator.user_agents``), never the whole
    User-Agent. The readiness item "device tested" reads the home's latest one."""

    __tablename__ = "device_tests"
    __table_args__ = (Index("ix_device_tests_home_id_tested_at", "home_id", "tested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    provider: Mapped[str] = mapped_column(String(10))
    browser_family: Mapped[str] = mapped_column(String(30))  # "Safari", "Samsung Internet", "Other browser"
    device: Mapped[str] = mapped_column(String(30), default="")  # "iPad", "Android"; "" when unknown
    tested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    contact: Mapped[Contact | None] = relationship()

    @property
    def family(self) -> str:
        """"Safari on iPad", as a join's browser is shown."""
        return f"{self.browser_family} on {self.device}" if self.device else self.browser_family


# The old field, answered from the agreements: the day the home's current one was agreed.
CareHome.protected_time_agreed_on = column_property(
    select(func.max(Agreement.agreed_on))
    .where(Agreement.home_id == CareHome.id, Agreement.status.in_(AGREED_STATUSES))
    .correlate_except(Agreement).scalar_subquery())
