"""The facilitator's calendar: a week or a month of their sessions across all their groups, in
the configured zone, with the clashes among them (the rule of ``booking.clashes``)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facilitator.booking.checks import MAX_MINUTES
from facilitator.booking.clashes import clashes_among
from facilitator.clock import FIRST_DAY, LAST_DAY, as_local
from facilitator.extensions import db
from facilitator.models import MeetingSession, Role, User, group_facilitators
from facilitator.recurrence import add_months, local_moment

VIEWS = ("week", "month")


@dataclass(frozen=True)
class Period:
    """The days a view shows: a week from Monday, or the whole weeks that hold a month."""

    view: str
    day: date  # the date asked for; the month view's month is this one's
    first: date  # the first day shown
    end: date  # the day after the last one shown

    @classmethod
    def of(cls, view: str, day: date) -> Period:
        if view == "month":
            start = day.replace(day=1)
            last = start.replace(day=calendar.monthrange(start.year, start.month)[1])
            return cls(view, day, _monday(start), _monday(last) + timedelta(days=7))
        return cls(view, day, _monday(day), _monday(day) + timedelta(days=7))

    @property
    def weeks(self) -> list[list[date]]:
        days = [self.first + timedelta(days=i) for i in range((self.end - self.first).days)]
        return [days[i:i + 7] for i in range(0, len(days), 7)]

    @property
    def previous(self) -> date | None:
        day = add_months(self.day, -1) if self.view == "month" else self.day - timedelta(days=7)
        return day if day >= FIRST_DAY else None

    @property
    def next(self) -> date | None:
        day = add_months(self.day, 1) if self.view == "month" else self.day + timedelta(days=7)
        return day if day <= LAST_DAY - timedelta(days=7) else None

    def in_month(self, day: date) -> bool:
        return self.view != "month" or (day.year, day.month) == (self.day.year, self.day.month)


@dataclass
class Entry:
    """A session on the calendar: its local start and end, and the sessions it clashes with."""

    session: MeetingSession
    starts: datetime
    ends: datetime
    clashes: list[MeetingSession] = field(default_factory=list)


@dataclass
class Calendar:
    period: Period
    facilitator: User | None
    days: dict[date, list[Entry]]

    @property
    def clash_count(self) -> int:
        return sum(1 for entries in self.days.values() for entry in entries if entry.clashes)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    """The period in UTC: local midnight to local midnight, whatever the clocks did between."""
    return (local_moment(period.first, time(), zone).astimezone(UTC),
            local_moment(period.end, time(), zone).astimezone(UTC))


def sessions_of(user: User, start: datetime, end: datetime) -> list[MeetingSession]:
    """Every session (cancelled ones too) of the groups ``user`` facilitates that overlaps
    ``start``–``end``, with its group, in one statement."""
    return list(db.session.scalars(
        select(MeetingSession)
        .join(group_facilitators, group_facilitators.c.group_id == MeetingSession.group_id)
        .where(group_facilitators.c.user_id == user.id,
               MeetingSession.starts_at < end, MeetingSession.ends_at > start)
        .options(joinedload(MeetingSession.group))
        .order_by(MeetingSession.starts_at, MeetingSession.id)))


def facilitator_calendar(user: User | None, period: Period, zone: str) -> Calendar:
    """``user``'s sessions starting in the period, by local day. Sessions up to the longest
    length before and after are read too, so a clash across the period's edge still shows."""
    days: dict[date, list[Entry]] = {day: [] for week in period.weeks for day in week}
    if user is None:
        return Calendar(period, None, days)
    start, end = _bounds(period, zone)
    margin = timedelta(minutes=MAX_MINUTES)
    rows = sessions_of(user, start - margin, end + margin)
    clashes = clashes_among(rows)
    for session in rows:
        local = as_local(session.starts_at, zone)
        if local.date() in days:
            days[local.date()].append(Entry(session, local, as_local(session.ends_at, zone),
                                            clashes.get(session.id, [])))
    return Calendar(period, user, days)


def facilitators() -> list[User]:
    """The people whose calendar a lead or an admin may open: active facilitators, by name."""
    return list(db.session.scalars(select(User).where(User.role == Role.FACILITATOR, User.is_active)
                                   .order_by(User.name, User.id)))
