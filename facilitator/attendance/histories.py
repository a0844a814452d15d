"""Every home's :class:`History` in each group of a report, from one aggregated SQL row per group
and home, and the pauses of homes. Only the report (``report.py``) reads them.

The database joins each home's recorded sessions into one string of fixed-width items,
"YYYY-MM-DDHH:MM", the History letter and the engagement rating's digit ("-" when not rated);
Python sorts them once and takes the letters and digits out with slices, never holding an object
per session. A session the home was not a member for, or one inside a pause of the home, is not
expected: the few homes with such sessions are filtered here with their membership periods
(loaded by the report anyway) and pauses (one small statement), which is much cheaper than asking
the database to check every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import expression

from facilitator.attendance.engagement import (
    CAME,
    CAME_WITH_SENIOR,
    CAME_WITHOUT_SENIOR,
    MISSED,
    WITH_NOTICE,
    History,
    Pause,
    paused_on,
)
from facilitator.attendance.filters import Filters, Span, home_filter, is_current, session_filter
from facilitator.extensions import db
from facilitator.models import CareHome, MeetingSession
from facilitator.models.attendance import ATTENDED_STATUSES, AttendanceEntry, AttendanceStatus
from facilitator.models.engagement import HomePause

WIDTH = 18  # one item and its comma: date 10, time 5, letter 1, rating 1, ","
DAY, LETTER, RATING = slice(0, 10), 15, 16
NOT_RATED = "-"

Histories = dict[tuple[int, int], tuple[History, tuple[int, ...]]]


class _StartTime(expression.FunctionElement[str]):
    """A session's UTC start time as text, "HH:MM": it orders the sessions of one day."""

    type = String()
    name = "start_time"
    inherit_cache = True


@compiles(_StartTime)
def _start_time_sqlite(element: _StartTime, compiler: Any, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 12, 5)"  # stored as "YYYY-MM-DD HH:MM:SS..."


@compiles(_StartTime, "postgresql")
def _start_time_postgresql(element: _StartTime, compiler: Any, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'HH24:MI')"


_CODE = case((AttendanceEntry.status == AttendanceStatus.EXCUSED, WITH_NOTICE),
             (AttendanceEntry.status.not_in(ATTENDED_STATUSES), MISSED),
             (AttendanceEntry.senior_present.is_(None), CAME),
             (AttendanceEntry.senior_present.is_(True), CAME_WITH_SENIOR), else_=CAME_WITHOUT_SENIOR)
_RATING = func.coalesce(cast(AttendanceEntry.engagement, String), NOT_RATED)


def pauses_by_home() -> dict[int, list[Pause]]:
    """Every home's pauses (one statement; there are few)."""
    pauses: dict[int, list[Pause]] = {}
    for home_id, first, last in db.session.execute(
            select(HomePause.home_id, HomePause.starts_on, HomePause.ends_on).order_by(HomePause.starts_on)):
        pauses.setdefault(home_id, []).append((first, last))
    return pauses


def load_histories(filters: Filters, zone: ZoneInfo, now: datetime,
                   periods: dict[tuple[int, int], list[Span]], pauses: dict[int, list[Pause]]) -> Histories:
    """Every home's History in each chosen group (``periods``: its membership periods there) and
    its engagement ratings, oldest first."""
    item = (cast(MeetingSession.starts_on, String) + _StartTime(MeetingSession.starts_at) + _CODE + _RATING)
    statement = (
        select(MeetingSession.group_id, AttendanceEntry.home_id, func.aggregate_strings(item, ","))
        .join(MeetingSession, MeetingSession.id == AttendanceEntry.session_id)
        .where(*session_filter(filters, zone, now), AttendanceEntry.status.is_not(None))
        .group_by(MeetingSession.group_id, AttendanceEntry.home_id))
    if filters.region:
        statement = (statement.join(CareHome, CareHome.id == AttendanceEntry.home_id)
                     .where(*home_filter(filters)))
    histories: Histories = {}
    for group_id, home_id, joined in db.session.execute(statement):
        spans = periods.get((group_id, home_id))
        if spans is None:
            continue
        items = joined.split(",")
        items.sort()
        home_pauses = pauses.get(home_id, ())
        if home_pauses or not _member_throughout(spans, items[0][DAY], items[-1][DAY]):
            items = [i for i in items if _expected(spans, home_pauses, date.fromisoformat(i[DAY]))]
        text = ",".join(items)
        days = [text[at:at + 10] for at in range(0, len(text), WIDTH)]
        ratings = tuple(map(int, text[RATING::WIDTH].replace(NOT_RATED, "")))
        histories[(group_id, home_id)] = (History(days, text[LETTER::WIDTH]), ratings)
    return histories


def _member_throughout(spans: Sequence[Span], first: str, last: str) -> bool:
    """One membership period covers every day from ``first`` to ``last`` (ISO dates)."""
    return len(spans) == 1 and is_current(spans[0], date.fromisoformat(first)) and is_current(
        spans[0], date.fromisoformat(last))


def _expected(spans: Sequence[Span], pauses: Sequence[Pause], day: date) -> bool:
    return any(is_current(span, day) for span in spans) and not paused_on(pauses, day)
