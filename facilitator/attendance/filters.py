"""Which groups, homes and sessions a report of engagement covers: its filters, applied in SQL,
and each home's membership periods within them. The dashboard, the API and the CSV share them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from facilitator.extensions import db
from facilitator.models import (
    CareHome,
    Group,
    MeetingSession,
    Membership,
    SessionStatus,
    member_on,
)


@dataclass(frozen=True)
class Filters:
    group_id: int | None = None
    region: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    only_groups: frozenset[int] | None = None  # a facilitator sees their own groups only

    def query_args(self) -> dict[str, str]:
        args = {"group_id": self.group_id, "region": self.region, "from": self.date_from, "to": self.date_to}
        return {k: str(v) for k, v in args.items() if v not in (None, "")}


@dataclass(frozen=True)
class HomeRef:
    """The few columns of a care home the reports show."""

    id: int
    name: str
    region: str
    protected_time_agreed: bool


def utc_bounds(filters: Filters, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The date filter as UTC instants: from midnight of ``date_from`` to the midnight after ``date_to``."""
    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    start = at_midnight(filters.date_from) if filters.date_from else None
    end = at_midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None
    return start, end


def group_filter(filters: Filters) -> list[Any]:
    conditions = []
    if filters.group_id is not None:
        conditions.append(Group.id == filters.group_id)
    if filters.only_groups is not None:
        conditions.append(Group.id.in_(filters.only_groups or {0}))
    return conditions


def session_filter(filters: Filters, zone: ZoneInfo, now: datetime) -> list[Any]:
    start, end = utc_bounds(filters, zone)
    conditions = [MeetingSession.status != SessionStatus.CANCELLED, MeetingSession.starts_at <= now,
                  MeetingSession.group_id.in_(select(Group.id).where(*group_filter(filters)))]
    if start is not None:
        conditions.append(MeetingSession.starts_at >= start)
    if end is not None:
        conditions.append(MeetingSession.starts_at < end)
    return conditions


def home_filter(filters: Filters) -> list[Any]:
    if not filters.region:
        return []
    return [func.lower(CareHome.region) == filters.region.strip().lower()]


def as_of_date(filters: Filters, today: date) -> date:
    return min(filters.date_to, today) if filters.date_to else today


Span = tuple[date, date | None]  # joined on, left on (the first day no longer a member)


def is_current(span: Span, on: date) -> bool:
    return member_on(span[0], span[1], on)


def member_periods(filters: Filters, as_of: date) -> dict[tuple[int, HomeRef], list[Span]]:
    """Each home's membership periods in each chosen group, the homes in name order."""
    conditions = [Membership.joined_on <= as_of, Membership.group_id.in_(
        select(Group.id).where(*group_filter(filters))), *home_filter(filters)]
    if filters.date_from:
        conditions.append(or_(Membership.left_on.is_(None), Membership.left_on > filters.date_from))
    rows = db.session.execute(
        select(Membership.group_id, Membership.joined_on, Membership.left_on, CareHome.id, CareHome.name,
               CareHome.region, CareHome.protected_time_agreed_on)
        .join(CareHome, CareHome.id == Membership.home_id).where(*conditions)
        .order_by(CareHome.name, CareHome.id, Membership.joined_on))
    homes: dict[int, HomeRef] = {}
    periods: dict[tuple[int, HomeRef], list[Span]] = {}
    for group_id, joined_on, left_on, home_id, name, region, agreed_on in rows:
        home = homes.get(home_id) or homes.setdefault(home_id,
                                                      HomeRef(home_id, name, region, agreed_on is not None))
        periods.setdefault((group_id, home), []).append((joined_on, left_on))
    return periods


def filter_choices() -> tuple[list[Group], list[str]]:
    groups = list(db.session.scalars(select(Group).order_by(Group.name)))
    regions = [r for r in db.session.scalars(
        select(CareHome.region).where(CareHome.region != "").distinct().order_by(CareHome.region)) if r]
    return groups, regions
