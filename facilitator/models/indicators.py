"""The home's monthly return of implementation indicators (issue 19): counts only, never names.

One return per home and month (``month`` is the first day of the month it counts), replaced when
it is sent again; its staff trained are rows by role and Knowledge and Skills Framework level.
Who sent it is a contact (through the home's link, ``online``) or a user (typed from ``paper``).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime


class IndicatorSource(enum.StrEnum):
    ONLINE = "online"
    PAPER = "paper"


class StaffRole(enum.StrEnum):
    """The care-home roles a return counts staff trained by."""

    CARE_STAFF = "care_staff"
    SENIOR_CARER = "senior_carer"
    NURSE = "nurse"
    TEAM_LEADER = "team_leader"
    MANAGER = "manager"
    ANCILLARY = "ancillary"
    OTHER = "other"


class IndicatorReturn(Base):
    __tablename__ = "indicator_returns"
    __table_args__ = (
        UniqueConstraint("home_id", "month"),
        CheckConstraint("care_plans_naming_trauma <= care_plans_reviewed", name="plans_part_of_whole"),
        CheckConstraint("team_meetings_discussing_tip <= team_meetings", name="meetings_part_of_whole"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    home_id: Mapped[int] = mapped_column(ForeignKey("care_homes.id", ondelete="CASCADE"), index=True)
    month: Mapped[date]  # the first day of the month counted
    care_plans_reviewed: Mapped[int]
    care_plans_naming_trauma: Mapped[int]
    team_meetings: Mapped[int]
    team_meetings_discussing_tip: Mapped[int]
    team_leaders_trained_total: Mapped[int]
    source: Mapped[str] = mapped_column(String(10), default=IndicatorSource.ONLINE.value)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    submitted_by_contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"))
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    staff_trained: Mapped[list[IndicatorStaffTrained]] = relationship(
        back_populates="indicator_return", cascade="all, delete-orphan",
        order_by="IndicatorStaffTrained.id")


class IndicatorStaffTrained(Base):
    """How many staff of one role completed NTTP learning at one level in the month."""

    __tablename__ = "indicator_staff_trained"
    __table_args__ = (UniqueConstraint("return_id", "role", "ksf_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("indicator_returns.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    ksf_level: Mapped[str] = mapped_column(String(20))
    count: Mapped[int]

    indicator_return: Mapped[IndicatorReturn] = relationship(back_populates="staff_trained")


class IndicatorReminderSend(Base):
    """The monthly reminder queued for one contact for one month: at most once."""

    __tablename__ = "indicator_reminder_sends"
    __table_args__ = (UniqueConstraint("contact_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    month: Mapped[date]  # the first day of the month asked about
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
