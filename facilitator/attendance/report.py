"""The engagement of homes across groups: the leads' dashboard, the API and the facilitator's
home page all read it here.

Every function runs a fixed number of statements whatever the number of homes or sessions:
rows are loaded in a few set-based queries and put together in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from facilitator.attendance import report_cache
from facilitator.attendance.engagement import (
    NO_HISTORY,
    Engagement,
    EngagementStatus,
    RatingTrend,
    assess_history,
    paused_on,
    previous_status,
    rating_trend,
)
from facilitator.attendance.filters import (
    Filters,
    HomeRef,
    Span,
    as_of_date,
    group_filter,
    is_current,
    member_periods,
    session_filter,
)
from facilitator.attendance.histories import load_histories, pauses_by_home
from facilitator.attendance.reasons import ReasonMonth, apology_reasons
from facilitator.extensions import db
from facilitator.models import Contact, Group, MeetingSession
from facilitator.models.attendance import (
    ATTENDED_STATUSES,
    AttendanceEntry,
    AttendanceStatus,
    ReportVersion,
)

SENIOR_FIRST = {"manager": 0, "team_leader": 1, "senior_manager": 2}


@dataclass
class SessionColumn:
    id: int
    title: str
    starts_at: datetime
    day: date
    expected: int = 0
    attended: int = 0

    @property
    def share(self) -> float | None:
        return self.attended / self.expected if self.expected else None


@dataclass(frozen=True)
class GroupRef:
    id: int
    name: str


@dataclass(frozen=True)
class PersonToCall:
    """The person to call at a home."""

    name: str
    email: str
    role: str


@dataclass
class HomeRow:
    group: GroupRef
    home: HomeRef
    engagement: Engagement
    previous: EngagementStatus | None
    cells: dict[int, str]  # shown session id → status, "" when not recorded; absent key: not a member
    contact: PersonToCall | None = None
    rating: RatingTrend | None = None  # the engagement ratings over the period (None: never rated)

    @property
    def changed(self) -> str:
        """What changed, in words: the status before the latest session and why it is now."""
        status = self.engagement.status
        if self.previous is not None and self.previous != status:
            return f"Was {self.previous.label.lower()}. {self.engagement.reason}"
        return self.engagement.reason


@dataclass
class GroupBlock:
    group: GroupRef
    sessions: list[SessionColumn] = field(default_factory=list)  # the sessions shown in the charts
    rows: list[HomeRow] = field(default_factory=list)
    sessions_in_range: int = 0
    # The block's charts once drawn (``charts``): a cached block is drawn once, not per request.
    drawn: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def shows_every_session(self) -> bool:
        return len(self.sessions) == self.sessions_in_range


@dataclass
class Report:
    filters: Filters
    as_of: date
    blocks: list[GroupBlock]
    charted: int | None = None  # the latest sessions of each group in the charts (None: all)
    apology_reasons: list[ReasonMonth] = field(default_factory=list)  # with the charts only

    @property
    def rows(self) -> list[HomeRow]:
        return [row for block in self.blocks for row in block.rows]

    @property
    def attention(self) -> list[HomeRow]:
        """Disengaged first, then at risk; longest run of misses first."""
        rows = [r for r in self.rows if r.engagement.status.needs_attention]
        order = {EngagementStatus.DISENGAGED: 0, EngagementStatus.AT_RISK: 1}
        return sorted(rows, key=lambda r: (order[r.engagement.status],
                                           -r.engagement.missed_without_notice_in_a_row,
                                           -r.engagement.missed_in_a_row, r.home.name.casefold()))

    @property
    def charts_cut_short(self) -> bool:
        return any(not block.shows_every_session for block in self.blocks)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in EngagementStatus}
        for row in self.rows:
            counts[row.engagement.status.value] += 1
        return counts


def engagement_report(filters: Filters, *, now: datetime, zone: ZoneInfo, charted: int | None = 0) -> Report:
    """Engagement of every home of the chosen groups (and region) as of the end of the range.

    ``charted`` is how many of each group's latest sessions the heatmap and the attendance chart
    show (None: every session in the range; 0: no charts nor apology reasons, for the API and the
    home page). The engagement itself always counts every session in the range.

    Each group's part comes from the report cache when nothing in it changed since it was
    computed (``report_cache``); the parts that did are computed together, in a fixed number of
    statements, and without reading a row per session and home but for the charted sessions.
    """
    as_of = as_of_date(filters, now.astimezone(zone).date())
    cache = report_cache.parts()
    keys = _part_keys(filters, now, as_of, charted)
    blocks = {group.id: cache.get(key) for group, key in keys}
    stale = {group.id: group for group, _ in keys if blocks[group.id] is None}
    if stale:
        fresh = _compute_blocks(replace(filters, only_groups=frozenset(stale)), stale, as_of=as_of, now=now,
                                zone=zone, charted=charted)
        for group, key in keys:
            if group.id in fresh:
                blocks[group.id] = fresh[group.id]
                cache.put(key, fresh[group.id])
    shown = [block for block in blocks.values() if block is not None and (block.rows or block.sessions)]
    reasons = apology_reasons(filters, zone=zone, now=now) if charted != 0 else []
    return Report(filters, as_of, shown, charted, reasons)


def _part_keys(filters: Filters, now: datetime, as_of: date,
               charted: int | None) -> list[tuple[GroupRef, tuple[Any, ...]]]:
    """The chosen groups in name order, each with the key of its part of the report (one statement)."""
    latest_start = (select(func.max(MeetingSession.starts_at))
                    .where(MeetingSession.group_id == Group.id, MeetingSession.starts_at <= now)
                    .scalar_subquery())
    every_group = (select(ReportVersion.version).where(ReportVersion.group_id == report_cache.EVERY_GROUP)
                   .scalar_subquery())
    rows = db.session.execute(
        select(Group.id, Group.name, func.coalesce(ReportVersion.version, 0), func.coalesce(every_group, 0),
               latest_start)
        .outerjoin(ReportVersion, ReportVersion.group_id == Group.id)
        .where(*group_filter(filters)).order_by(Group.name, Group.id))
    settings = (as_of, filters.region, filters.date_from, filters.date_to, charted)
    return [(GroupRef(group_id, name), (group_id, name, version, everyone, started, *settings))
            for group_id, name, version, everyone, started in rows]


def _compute_blocks(filters: Filters, groups: dict[int, GroupRef], *, as_of: date, now: datetime,
                    zone: ZoneInfo, charted: int | None) -> dict[int, GroupBlock]:
    blocks = {group_id: GroupBlock(group) for group_id, group in groups.items()}
    periods = member_periods(filters, as_of)
    pauses = pauses_by_home()
    spans_by_id = {(group_id, home.id): spans for (group_id, home), spans in periods.items()}
    histories = load_histories(filters, zone, now, spans_by_id, pauses)
    paused = {home_id for home_id, spans in pauses.items() if paused_on(spans, as_of)}
    run = int(current_app.config["APOLOGY_RUN_AT_RISK"])
    for (group_id, home), spans in periods.items():
        history, ratings = histories.get((group_id, home.id), (NO_HISTORY, ()))
        withdrawn = not any(is_current(span, as_of) for span in spans)
        engagement = assess_history(history, as_of=as_of, withdrawn=withdrawn, paused=home.id in paused,
                                    apology_run_at_risk=run)
        blocks[group_id].rows.append(HomeRow(blocks[group_id].group, home, engagement,
                                             previous_status(history, withdrawn=withdrawn,
                                                             apology_run_at_risk=run), {},
                                             rating=rating_trend(ratings)))
    if charted != 0:
        _chart(blocks, periods, filters, zone, now, charted)
    for block in blocks.values():
        block.rows.sort(key=lambda r: (r.home.name.casefold(), r.home.id))
    _attach_contacts([row for block in blocks.values() for row in block.rows
                      if row.engagement.status.needs_attention])
    return blocks


def _chart(blocks: dict[int, GroupBlock], periods: dict[tuple[int, HomeRef], list[Span]], filters: Filters,
           zone: ZoneInfo, now: datetime, charted: int | None) -> None:
    """The sessions of the charts (the latest ``charted`` of each group) and each home's cells."""
    ranked = (select(MeetingSession.id, MeetingSession.group_id, MeetingSession.title,
                     MeetingSession.starts_at, MeetingSession.starts_on,
                     func.row_number().over(partition_by=MeetingSession.group_id,
                                            order_by=(MeetingSession.starts_at.desc(),
                                                      MeetingSession.id.desc())).label("latest_first"),
                     func.count().over(partition_by=MeetingSession.group_id).label("in_range"))
              .where(*session_filter(filters, zone, now)).subquery())
    latest = [ranked.c.latest_first <= charted] if charted else []
    shown = select(ranked).where(*latest)
    columns: dict[int, SessionColumn] = {}
    for row in db.session.execute(shown.order_by(ranked.c.starts_at, ranked.c.id)):
        block = blocks[row.group_id]
        columns[row.id] = SessionColumn(row.id, row.title, row.starts_at, row.starts_on)
        block.sessions.append(columns[row.id])
        block.sessions_in_range = row.in_range
    latest = [ranked.c.latest_first <= charted] if charted else []
    entries = {(e.session_id, e.home_id): e.status for e in db.session.execute(
        select(AttendanceEntry.session_id, AttendanceEntry.home_id, AttendanceEntry.status)
        .join(ranked, ranked.c.id == AttendanceEntry.session_id)
        .where(AttendanceEntry.status.is_not(None), *latest))}
    rows = {(row.group.id, row.home.id): row for block in blocks.values() for row in block.rows}
    for (group_id, home), spans in periods.items():
        cells = rows[(group_id, home.id)].cells
        for column in blocks[group_id].sessions:
            if not any(is_current(span, column.day) for span in spans):
                continue
            status = cells[column.id] = entries.get((column.id, home.id), "")
            if status and status != AttendanceStatus.EXCUSED:
                column.expected += 1
                column.attended += status in ATTENDED_STATUSES


def _attach_contacts(rows: Sequence[HomeRow]) -> None:
    """The person to call at each home needing attention: a manager first, then a team leader."""
    ids = {row.home.id for row in rows}  # run even when empty: a fixed number of statements
    best: dict[int, PersonToCall] = {}
    for home_id, name, email, role in db.session.execute(
            select(Contact.home_id, Contact.name, Contact.email, Contact.role)
            .where(Contact.home_id.in_(ids), Contact.is_active).order_by(Contact.name, Contact.id)):
        current = best.get(home_id)
        if current is None or SENIOR_FIRST.get(role, 9) < SENIOR_FIRST.get(current.role, 9):
            best[home_id] = PersonToCall(name, email, role)
    for row in rows:
        row.contact = best.get(row.home.id)
