"""What every section of the programme report shares: the engagement report over the period
(``attendance.report.engagement_report``, the one place engagement is worked out) and the homes
it covers once the council-area filter, which that report does not know, is applied."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from facilitator.attendance.report import HomeRow, Report, engagement_report
from facilitator.extensions import db
from facilitator.models import CareHome
from facilitator.reports.filters import ReportFilters


@dataclass
class Scope:
    filters: ReportFilters
    now: datetime
    zone: ZoneInfo
    period: Report  # every session of the period charted
    areas: dict[int, str | None]  # home id → its council area, for the homes covered

    @property
    def home_ids(self) -> set[int]:
        return set(self.areas)

    def rows(self, report: Report | None = None) -> list[HomeRow]:
        """``report``'s rows (the period's by default) of the homes covered."""
        return [row for row in (report or self.period).rows if self._covers(row.home.id)]

    def _covers(self, home_id: int) -> bool:
        area = self.filters.local_authority
        return area is None or self.areas.get(home_id) == area

    def report_as_of(self, day: date) -> Report:
        """The engagement report as it stood at the end of ``day`` (its whole record to then)."""
        return engagement_report(self.filters.engagement(end=day), now=self.now, zone=self.zone, charted=0)


def build_scope(filters: ReportFilters, now: datetime, zone: ZoneInfo) -> Scope:
    period = engagement_report(filters.engagement(start=filters.date_from, end=filters.date_to),
                               now=now, zone=zone, charted=None)
    ids = {row.home.id for row in period.rows}
    areas = dict(db.session.execute(select(CareHome.id, CareHome.local_authority)
                                    .where(CareHome.id.in_(ids))).all()) if ids else {}
    if filters.local_authority:
        areas = {i: a for i, a in areas.items() if a == filters.local_authority}
    return Scope(filters, now, zone, period, areas)
