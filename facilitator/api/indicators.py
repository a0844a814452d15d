"""A home's monthly returns of implementation indicators over the API (issue 19).

Admins and the home's facilitators write (a return typed in by staff is ``paper``); leads read.
The rules (every count 0 to 10,000, a part never more than its whole, no month in the future, the
fixed roles and levels) are the service's, ``facilitator.indicators.services``, and a refusal
names each field.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, can_read_home, get_or_404, managed_home
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.indicators import queries, services
from facilitator.models import CareHome, IndicatorReturn, IndicatorSource


class StaffTrained(Input):
    role: str = Field(max_length=20, json_schema_extra={"enum": list(services.ROLES)})
    ksf_level: str = Field(max_length=20, json_schema_extra={"enum": list(services.LEVELS)})
    count: int


class StaffTrainedOut(Output):
    role: str
    ksf_level: str
    count: int


class IndicatorIn(Input):
    care_plans_reviewed: int
    care_plans_naming_trauma: int = Field(description="Of the care plans reviewed")
    team_meetings: int = Field(description="Team meetings or huddles held")
    team_meetings_discussing_tip: int = Field(description="Of the team meetings")
    staff_trained: list[StaffTrained] = Field(default_factory=list, max_length=100)
    team_leaders_trained_total: int = Field(description="Team leaders trained to date")


class IndicatorMonth(Output):
    month: str = Field(description="YYYY-MM")
    care_plans_reviewed: int
    care_plans_naming_trauma: int
    team_meetings: int
    team_meetings_discussing_tip: int
    staff_trained: list[StaffTrainedOut]
    team_leaders_trained_total: int
    source: str
    submitted_at: datetime

    @classmethod
    def of(cls, row: IndicatorReturn) -> IndicatorMonth:
        staff = [StaffTrainedOut(role=s.role, ksf_level=s.ksf_level, count=s.count)
                 for s in row.staff_trained]
        return cls(month=services.month_key(row.month), source=row.source, submitted_at=row.submitted_at,
                   staff_trained=staff, **{name: getattr(row, name) for name in services.COUNTS})


class IndicatorList(Output):
    months: list[IndicatorMonth]


class IndicatorQuery(Input):
    from_: str | None = Field(default=None, alias="from", max_length=7,
                              description="YYYY-MM, the first month")
    to: str | None = Field(default=None, max_length=7, description="YYYY-MM, the last month")


def _month(raw: str | None, name: str) -> date | None:
    if raw is None:
        return None
    month = services.parse_month(raw)
    if month is None:
        raise DomainError(FIELDS_INVALID, {name: "Enter a month as YYYY-MM"})
    return month


@operation("/homes/<int:home_id>/indicators", "GET", roles=READERS, query=IndicatorQuery,
           response=IndicatorList, summary="A home's monthly returns of implementation indicators, "
                                           "oldest first (from and to: YYYY-MM, both included)")
def list_indicators(home_id: int, query: IndicatorQuery) -> IndicatorList:
    home = get_or_404(CareHome, home_id)
    if not can_read_home(g.user, home.id):
        abort(403)
    first, last = _month(query.from_, "from"), _month(query.to, "to")
    return IndicatorList(months=[IndicatorMonth.of(r) for r in queries.returns_between(home.id, first, last)])


@operation("/homes/<int:home_id>/indicators/<month>", "PUT", roles=MANAGERS, body=IndicatorIn,
           response=IndicatorMonth, summary="Record (or replace) a home's return for a month (YYYY-MM), "
                                            "typed in from paper")
def put_indicators(home_id: int, month: str, body: IndicatorIn) -> IndicatorMonth:
    home = managed_home(home_id)
    row = services.save_return(home, services.parse_month(month), body.model_dump(), IndicatorSource.PAPER,
                               g.user)
    return IndicatorMonth.of(row)
