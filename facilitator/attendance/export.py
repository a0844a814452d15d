"""The attendance CSV: UTF-8 with a byte-order mark (Excel reads it right), one row per home per
session, and no cell that a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from facilitator.attendance.queries import ExportRow
from facilitator.models.attendance import AttendanceStatus, EngagementRating

BOM = "\ufeff"
HEADER = ["group", "session_id", "session_date", "session_start", "session_title", "home_id", "home_name",
          "region", "protected_time_agreed", "status", "staff_count", "engagement", "engagement_label",
          "minutes_attended", "manager_or_team_leader_present", "source", "comment"]
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (tab and carriage return too: some import paths strip them and then see the formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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
