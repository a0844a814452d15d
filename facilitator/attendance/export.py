"""The attendance CSV: UTF-8 with a byte-order mark (Excel reads it right), one row per home per
session, and no cell that a spreadsheet would run as a formula.

What it holds is read up front in a fixed number of statements (``export_plan``), but for the
entries, which are streamed from a connection of the export's own (``export_rows``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from facilitator.attendance.report import Filters, group_filter, member_periods, session_filter
from facilitator.csv_cells import BOM, safe_cell
from facilitator.extensions import db
from facilitator.models import Group, MeetingSession, member_on
from facilitator.models.attendance import AttendanceEntry, AttendanceStatus, EngagementRating


@dataclass(frozen=True)
class ExportRow:
    group: str
    session_id: int
    session_date: date
    session_start: str
    session_title: str
    home_id: int
    home_name: str
    region: str
    protected_time: bool
    entry: Any | None  # the entry's columns, None when the register does not mention the home


@dataclass(frozen=True)
class _Member:
    home_id: int
    name: str
    region: str
    protected_time: bool
    joined_on: date
    left_on: date | None

    def is_current(self, on: date) -> bool:
        return member_on(self.joined_on, self.left_on, on)


@dataclass(frozen=True)
class ExportPlan:
    """Everything of the export but the entries, read up front; the entries are streamed."""

    group_names: dict[int, str]
    members: dict[int, list[_Member]]  # group id → its homes' membership periods
    sessions: list[Any]
    entries: Any  # the statement for the entries, in session order


def export_plan(filters: Filters, *, now: datetime, zone: ZoneInfo) -> ExportPlan:
    """Read what the export needs but the entries (a fixed number of statements)."""
    group_names = dict(db.session.execute(select(Group.id, Group.name).where(*group_filter(filters))).all())
    members: dict[int, list[_Member]] = {}
    periods = member_periods(filters, filters.date_to or now.astimezone(zone).date())
    for (group_id, home), spans in periods.items():
        members.setdefault(group_id, []).extend(
            _Member(home.id, home.name, home.region, home.protected_time_agreed, joined_on, left_on)
            for joined_on, left_on in spans)
    sessions = db.session.execute(
        select(MeetingSession.id, MeetingSession.group_id, MeetingSession.title, MeetingSession.starts_at,
               MeetingSession.timezone)
        .where(*session_filter(filters, zone, now))
        .order_by(MeetingSession.starts_at, MeetingSession.id)).all()
    entries = (select(AttendanceEntry.session_id, AttendanceEntry.home_id, AttendanceEntry.status,
                      AttendanceEntry.staff_count, AttendanceEntry.engagement,
                      AttendanceEntry.minutes_attended,
                      AttendanceEntry.source, AttendanceEntry.senior_present, AttendanceEntry.comment)
               .join(MeetingSession, MeetingSession.id == AttendanceEntry.session_id)
               .where(*session_filter(filters, zone, now))
               .order_by(MeetingSession.starts_at, MeetingSession.id))
    return ExportPlan(group_names, members, list(sessions), entries)


def export_rows(plan: ExportPlan, connection: Any) -> Iterator[ExportRow]:
    """One row per member home per session, oldest session first, the entries streamed from
    ``connection`` (its own, so the stream needs no request or app context)."""
    result = connection.execution_options(stream_results=True, yield_per=500).execute(plan.entries)
    entries = iter(result)
    pending = next(entries, None)
    for session in plan.sessions:
        found: dict[int, Any] = {}
        while pending is not None and pending.session_id == session.id:
            found[pending.home_id] = pending
            pending = next(entries, None)
        local = session.starts_at.astimezone(ZoneInfo(session.timezone))
        seen: set[int] = set()
        for member in plan.members.get(session.group_id, []):
            if member.home_id in seen or not member.is_current(local.date()):
                continue
            seen.add(member.home_id)
            yield ExportRow(plan.group_names.get(session.group_id, ""), session.id, local.date(),
                            local.strftime("%H:%M"), session.title, member.home_id, member.name,
                            member.region, member.protected_time, found.get(member.home_id))


HEADER = ["group", "session_id", "session_date", "session_start", "session_title", "home_id", "home_name",
          "region", "protected_time_agreed", "status", "staff_count", "engagement", "engagement_label",
          "minutes_attended", "manager_or_team_leader_present", "source", "comment"]

def _flag(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def row_values(row: ExportRow) -> list[Any]:
    entry = row.entry
    status = entry.status if entry else None
    engagement = entry.engagement if entry else None
    values = [row.group, row.session_id, row.session_date.isoformat(), row.session_start, row.session_title,
              row.home_id, row.home_name, row.region, _flag(row.protected_time),
              AttendanceStatus(status).value if status else "not_recorded",
              entry.staff_count if entry and entry.staff_count is not None else "",
              engagement if engagement is not None else "",
              EngagementRating(engagement).label if engagement else "",
              entry.minutes_attended if entry and entry.minutes_attended is not None else "",
              _flag(entry.senior_present) if entry else "",
              entry.source or "" if entry else "",
              entry.comment or "" if entry else ""]
    return [safe_cell(v) for v in values]


def csv_lines(rows: Iterable[ExportRow]) -> Iterator[str]:
    """The file in pieces, as the rows stream in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield BOM + take()
    for count, row in enumerate(rows, start=1):
        writer.writerow(row_values(row))
        if count % 200 == 0:
            yield take()
    rest = take()
    if rest:
        yield rest
