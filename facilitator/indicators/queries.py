"""Reads of the monthly returns: one month, a span of months, and a home's trend (issue 19).

The trend is read with SQL sums over the returns, one row per month that has a return; a month
with no return is shown as not sent, never as zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.models import IndicatorReminderSend, IndicatorReturn, IndicatorStaffTrained, KsfLevel

EARLIEST, LATEST = date(2000, 1, 1), date(9999, 12, 1)  # every month a return can be for


def return_for(home_id: int, month: date) -> IndicatorReturn | None:
    return db.session.scalar(select(IndicatorReturn).where(
        IndicatorReturn.home_id == home_id, IndicatorReturn.month == month))


def returns_between(home_id: int, first: date | None = None,
                    last: date | None = None) -> list[IndicatorReturn]:
    """The home's returns from ``first`` to ``last`` (months, both included), oldest first."""
    query = select(IndicatorReturn).where(IndicatorReturn.home_id == home_id)
    if first is not None:
        query = query.where(IndicatorReturn.month >= first)
    if last is not None:
        query = query.where(IndicatorReturn.month <= last)
    query = query.options(selectinload(IndicatorReturn.staff_trained)).order_by(IndicatorReturn.month)
    return list(db.session.scalars(query))


LEVELS = tuple(level.value for level in KsfLevel)


@dataclass
class TrendRow:
    month: date
    care_plans_reviewed: int
    care_plans_naming_trauma: int
    team_meetings: int
    team_meetings_discussing_tip: int
    team_leaders_trained_total: int
    source: str
    submitted_at: datetime
    trained_by_level: dict[str, int] = field(default_factory=dict)

    @property
    def plans_share(self) -> int | None:
        """Per cent of care plans reviewed that name trauma (None when none were reviewed)."""
        return share(self.care_plans_naming_trauma, self.care_plans_reviewed)

    @property
    def meetings_share(self) -> int | None:
        return share(self.team_meetings_discussing_tip, self.team_meetings)


def share(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def trend(home_id: int, first: date, last: date) -> list[TrendRow]:
    """One row a month with a return, oldest first, with staff trained summed by level."""
    rows = {r.month: TrendRow(r.month, r.care_plans_reviewed, r.care_plans_naming_trauma, r.team_meetings,
                              r.team_meetings_discussing_tip, r.team_leaders_trained_total, r.source,
                              r.submitted_at)
            for r in db.session.scalars(select(IndicatorReturn).where(
                IndicatorReturn.home_id == home_id, IndicatorReturn.month.between(first, last))
                .order_by(IndicatorReturn.month))}
    sums: dict[date, dict[str, int]] = defaultdict(dict)
    total_count = func.sum(IndicatorStaffTrained.count)
    for month, level, total in db.session.execute(
            select(IndicatorReturn.month, IndicatorStaffTrained.ksf_level, total_count)
            .join(IndicatorStaffTrained.indicator_return)
            .where(IndicatorReturn.home_id == home_id, IndicatorReturn.month.between(first, last))
            .group_by(IndicatorReturn.month, IndicatorStaffTrained.ksf_level)):
        sums[month][level] = int(total)
    for month, row in rows.items():
        row.trained_by_level = {level: sums[month].get(level, 0) for level in LEVELS}
    return list(rows.values())


def last_year(home_id: int, today: date) -> list[TrendRow]:
    """The home's trend over the twelve months up to this one (the staff home page)."""
    this_month = today.replace(day=1)
    return trend(home_id, months_back(this_month, 12), this_month)


def months_back(last: date, count: int) -> date:
    """The first day of the month ``count - 1`` months before ``last``."""
    index = last.year * 12 + last.month - 1 - (count - 1)
    return date(index // 12, index % 12 + 1, 1)


def month_asked(message_id: int) -> date | None:
    """The month a queued monthly reminder asks about (for its wording)."""
    return db.session.scalar(
        select(IndicatorReminderSend.month).where(IndicatorReminderSend.outbox_message_id == message_id))
