"""The monthly returns summed over many homes: a group's trend, or the whole programme's for the
lead (issue 19) — the share of care plans naming trauma over time, and staff trained by level.

A home counts towards a group's month when it was a member of the group on the 1st of that month
(``Membership.is_member_on``, the one membership rule); the programme's trend counts every home's
return once, whatever its groups. Two statements whatever the number of homes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, distinct, func, select

from facilitator.extensions import db
from facilitator.indicators.queries import LEVELS, share
from facilitator.models import IndicatorReturn, IndicatorStaffTrained, Membership

SUMMED = ("care_plans_reviewed", "care_plans_naming_trauma", "team_meetings", "team_meetings_discussing_tip")


@dataclass
class MonthTotals:
    month: date
    homes: int  # homes that sent a return for the month
    care_plans_reviewed: int
    care_plans_naming_trauma: int
    team_meetings: int
    team_meetings_discussing_tip: int
    trained_by_level: dict[str, int] = field(default_factory=dict)

    @property
    def plans_share(self) -> int | None:
        return share(self.care_plans_naming_trauma, self.care_plans_reviewed)

    @property
    def meetings_share(self) -> int | None:
        return share(self.team_meetings_discussing_tip, self.team_meetings)


def _returns(query: Select, group_id: int | None, first: date, last: date,
             home_ids: Collection[int] | None = None) -> Select:
    query = query.where(IndicatorReturn.month.between(first, last))
    if home_ids is not None:
        query = query.where(IndicatorReturn.home_id.in_(list(home_ids)))
    if group_id is None:
        return query
    return query.where(IndicatorReturn.home_id.in_(
        select(Membership.home_id).where(Membership.group_id == group_id,
                                         Membership.is_member_on(IndicatorReturn.month))))


def totals(first: date, last: date, group_id: int | None = None,
           home_ids: Collection[int] | None = None) -> list[MonthTotals]:
    """Each month from ``first`` to ``last`` with at least one return, oldest first; of the homes
    of ``home_ids`` only when given (the programme report's region and council-area filters)."""
    sums = [func.coalesce(func.sum(getattr(IndicatorReturn, name)), 0) for name in SUMMED]
    per_month = _returns(select(IndicatorReturn.month, func.count(distinct(IndicatorReturn.home_id)), *sums),
                         group_id, first, last, home_ids)
    rows = {month: MonthTotals(month, homes, *map(int, figures)) for month, homes, *figures
            in db.session.execute(per_month.group_by(IndicatorReturn.month).order_by(IndicatorReturn.month))}
    trained: dict[date, dict[str, int]] = {month: {} for month in rows}
    level, count = IndicatorStaffTrained.ksf_level, func.sum(IndicatorStaffTrained.count)
    by_level = select(IndicatorReturn.month, level, count).join(IndicatorStaffTrained.indicator_return)
    for month, key, total in db.session.execute(
            _returns(by_level, group_id, first, last, home_ids).group_by(IndicatorReturn.month, level)):
        trained[month][key] = int(total)
    for month, row in rows.items():
        row.trained_by_level = {level: trained[month].get(level, 0) for level in LEVELS}
    return list(rows.values())
