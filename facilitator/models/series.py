"""A series booked as one calendar entry (issue 15): one UID, one RRULE, per-occurrence exceptions.

The row's ``id`` is the ``series_id`` its sessions share. A series booked before this table
existed has no row: its sessions keep their own per-session invitations (``legacy``), and nothing
about them changes or is sent again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime
from facilitator.models.groups import Group
from facilitator.models.homes import Contact
from facilitator.models.meetings import new_ical_uid


class Series(Base):
    """The rule a series' sessions were booked by, and the UID its invitations carry.

    ``first_starts_at`` is the rule's first start (its DTSTART); ``title`` and
    ``duration_minutes`` are what each occurrence is unless it was changed on its own (then it
    goes out as a RECURRENCE-ID override). ``until`` is set when the series was ended early
    ("this and the following" split it into a new series). ``sequence`` rises with each change.
    """

    __tablename__ = "series"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    ical_uid: Mapped[str] = mapped_column(String(100), unique=True, default=new_ical_uid)
    sequence: Mapped[int] = mapped_column(default=0)
    rule: Mapped[str] = mapped_column(String(10))  # week | fortnight | month
    count: Mapped[int]
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    monthly_by: Mapped[str | None] = mapped_column(String(10))  # date | weekday (monthly only)
    timezone: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    duration_minutes: Mapped[int]
    first_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)

    group: Mapped[Group] = relationship()


class SeriesToken(Base):
    """A contact's personal link to a series (``/j/<token>``); only the hash is kept."""

    __tablename__ = "series_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    series_id: Mapped[str] = mapped_column(ForeignKey("series.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[Series] = relationship()
    contact: Mapped[Contact] = relationship()
