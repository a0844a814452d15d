"""Reads for attendance: one session's register, the engagement of homes across groups (the
leads' dashboard, the API and the facilitator's home page) and the rows of the CSV export.

Every function runs a fixed number of statements whatever the number of homes or sessions:
rows are loaded in a few set-based queries and put together in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import selectinload

from facilitator.attendance.engagement import Engagement, EngagementStatus, Mark, assess
from facilitator.attendance.services import entries_by_home, join_evidence, member_homes, register_of
from facilitator.extensions import db
from facilitator.models import (
    CareHome,
    Contact,
    Group,
    MeetingSession,
    Membership,
    SessionStatus,
    User,
    group_facilitators,
)
from facilitator.models.attendance import (
    AttendanceEntry,
    AttendanceImport,
    AttendanceParticipant,
    AttendanceRegister,
    AttendanceStatus,
)
from facilitator.models.invites import JoinRecord

SENIOR_FIRST = {"manager": 0, "team_leader": 1, "senior_manager": 2}


# One register --------------------------------------------------------------------------------

@dataclass
class RegisterLine:
    home: CareHome
    entry: AttendanceEntry | None
    joins: list[JoinRecord]
    people: list[AttendanceParticipant]

    @property
    def status(self) -> str | None:
        return self.entry.status if self.entry else None


@dataclass
class RegisterView:
    session: MeetingSession
    register: AttendanceRegister | None
    lines: list[RegisterLine]
    unmatched: list[AttendanceParticipant]
    set_aside: list[AttendanceParticipant]
    job: AttendanceImport | None

    @property
    def version(self) -> int:
        return self.register.version if self.register else 0

    @property
    def proposals(self) -> list[RegisterLine]:
        return [line for line in self.lines if line.entry is not None and line.entry.has_proposal]


def register_view(session: MeetingSession) -> RegisterView:
    homes = member_homes(session)
    entries = entries_by_home(session)
    people = list(db.session.scalars(
        select(AttendanceParticipant).where(AttendanceParticipant.session_id == session.id)
        .order_by(AttendanceParticipant.first_joined_at, AttendanceParticipant.id)))
    joins = join_evidence(session)
    by_home: dict[int, list[AttendanceParticipant]] = {}
    for person in people:
        if person.home_id is not None:
            by_home.setdefault(person.home_id, []).append(person)
    lines = [RegisterLine(h, entries.get(h.id), joins.get(h.id, []), by_home.get(h.id, [])) for h in homes]
    job = db.session.scalar(select(AttendanceImport).where(AttendanceImport.session_id == session.id))
    return RegisterView(session, register_of(session), lines, [p for p in people if p.is_unmatched],
                        [p for p in people if p.ignored_as], job)


def registers_to_take(user: User, now: datetime, days: int = 60) -> list[tuple[MeetingSession, str]]:
    """A facilitator's sessions that took place and whose register no person has saved yet,
    with what stands in the way ("not taken", "imported: check and save", "people to assign")."""
    sessions = list(db.session.scalars(
        select(MeetingSession)
        .join(group_facilitators, group_facilitators.c.group_id == MeetingSession.group_id)
        .outerjoin(AttendanceRegister, AttendanceRegister.session_id == MeetingSession.id)
        .where(group_facilitators.c.user_id == user.id, MeetingSession.status != SessionStatus.CANCELLED,
               MeetingSession.starts_at <= now, MeetingSession.starts_at >= now - timedelta(days=days),
               AttendanceRegister.taken_at.is_(None))
        .options(selectinload(MeetingSession.group)).order_by(MeetingSession.starts_at.desc())))
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    imported = set(db.session.scalars(select(AttendanceRegister.session_id).where(
        AttendanceRegister.session_id.in_(ids), AttendanceRegister.imported_at.is_not(None))))
    waiting = set(db.session.scalars(select(AttendanceParticipant.session_id).where(
        AttendanceParticipant.session_id.in_(ids), AttendanceParticipant.home_id.is_(None),
        AttendanceParticipant.ignored_as.is_(None))))
    result = []
    for session in sessions:
        if session.id in waiting:
            why = "people to assign to homes"
        elif session.id in imported:
            why = "imported: check and save"
        else:
            why = "not taken yet"
        result.append((session, why))
    return result


# Engagement across groups --------------------------------------------------------------------

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


@dataclass
class HomeRow:
    group: Group
    home: CareHome
    engagement: Engagement
    previous: EngagementStatus | None
    cells: dict[int, str]  # session id → status, "" when not recorded; absent key: not a member
    contact: Contact | None = None

    @property
    def changed(self) -> str:
        """What changed, in words: the status before the latest session and why it is now."""
        status = self.engagement.status
        if self.previous is not None and self.previous != status:
            return f"Was {self.previous.label.lower()}. {self.engagement.reason}"
        return self.engagement.reason


@dataclass
class GroupBlock:
    group: Group
    sessions: list[SessionColumn] = field(default_factory=list)
    rows: list[HomeRow] = field(default_factory=list)


@dataclass
class Report:
    filters: Filters
    as_of: date
    blocks: list[GroupBlock]

    @property
    def rows(self) -> list[HomeRow]:
        return [row for block in self.blocks for row in block.rows]

    @property
    def attention(self) -> list[HomeRow]:
        """Disengaged first, then at risk; longest run of misses first."""
        rows = [r for r in self.rows if r.engagement.status.needs_attention]
        order = {EngagementStatus.DISENGAGED: 0, EngagementStatus.AT_RISK: 1}
        return sorted(rows, key=lambda r: (order[r.engagement.status], -r.engagement.missed_in_a_row,
                                           r.home.name.casefold()))

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in EngagementStatus}
        for row in self.rows:
            counts[row.engagement.status.value] += 1
        return counts


def utc_bounds(filters: Filters, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The date filter as UTC instants: from midnight of ``date_from`` to the midnight after ``date_to``."""
    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)

    start = at_midnight(filters.date_from) if filters.date_from else None
    end = at_midnight(filters.date_to + timedelta(days=1)) if filters.date_to else None
    return start, end


def _group_filter(filters: Filters) -> list[Any]:
    conditions = []
    if filters.group_id is not None:
        conditions.append(Group.id == filters.group_id)
    if filters.only_groups is not None:
        conditions.append(Group.id.in_(filters.only_groups or {0}))
    return conditions


def _session_filter(filters: Filters, zone: ZoneInfo, now: datetime) -> list[Any]:
    start, end = utc_bounds(filters, zone)
    conditions = [MeetingSession.status != SessionStatus.CANCELLED, MeetingSession.starts_at <= now,
                  MeetingSession.group_id.in_(select(Group.id).where(*_group_filter(filters)))]
    if start is not None:
        conditions.append(MeetingSession.starts_at >= start)
    if end is not None:
        conditions.append(MeetingSession.starts_at < end)
    return conditions


def _home_filter(filters: Filters) -> list[Any]:
    if not filters.region:
        return []
    return [func.lower(CareHome.region) == filters.region.strip().lower()]


def as_of_date(filters: Filters, today: date) -> date:
    return min(filters.date_to, today) if filters.date_to else today


def engagement_report(filters: Filters, *, now: datetime, zone: ZoneInfo) -> Report:
    """Engagement of every home of the chosen groups (and region) as of the end of the range."""
    as_of = as_of_date(filters, now.astimezone(zone).date())
    groups = list(db.session.scalars(select(Group).where(*_group_filter(filters)).order_by(Group.name)))
    memberships = _memberships(filters, as_of)
    sessions = db.session.execute(
        select(MeetingSession.id, MeetingSession.group_id, MeetingSession.title, MeetingSession.starts_at,
               MeetingSession.timezone)
        .where(*_session_filter(filters, zone, now))
        .order_by(MeetingSession.starts_at, MeetingSession.id)).all()
    entries = db.session.execute(
        select(AttendanceEntry.session_id, AttendanceEntry.home_id, AttendanceEntry.status,
               AttendanceEntry.senior_present)
        .join(MeetingSession, MeetingSession.id == AttendanceEntry.session_id)
        .join(CareHome, CareHome.id == AttendanceEntry.home_id)
        .where(*_session_filter(filters, zone, now), *_home_filter(filters),
               AttendanceEntry.status.is_not(None))).all()
    blocks = _assemble(groups, memberships, sessions, entries, as_of)
    _attach_contacts([row for block in blocks for row in block.rows if row.engagement.status.needs_attention])
    return Report(filters, as_of, blocks)


def _memberships(filters: Filters, as_of: date) -> list[tuple[Membership, CareHome]]:
    conditions = [Membership.joined_on <= as_of, Membership.group_id.in_(
        select(Group.id).where(*_group_filter(filters))), *_home_filter(filters)]
    if filters.date_from:
        conditions.append(or_(Membership.left_on.is_(None), Membership.left_on > filters.date_from))
    return list(db.session.execute(
        select(Membership, CareHome).join(CareHome, CareHome.id == Membership.home_id).where(*conditions)
        .order_by(CareHome.name, CareHome.id, Membership.joined_on)).all())


def _assemble(groups: Sequence[Group], memberships: Sequence[tuple[Membership, CareHome]],
              sessions: Sequence[Any], entries: Sequence[Any], as_of: date) -> list[GroupBlock]:
    blocks = {g.id: GroupBlock(g) for g in groups}
    columns: dict[int, SessionColumn] = {}
    for row in sessions:
        day = row.starts_at.astimezone(ZoneInfo(row.timezone)).date()
        columns[row.id] = SessionColumn(row.id, row.title, row.starts_at, day)
        blocks[row.group_id].sessions.append(columns[row.id])
    marks = {(e.session_id, e.home_id): e for e in entries}
    periods: dict[tuple[int, int], list[Membership]] = {}
    homes: dict[int, CareHome] = {}
    for membership, home in memberships:
        periods.setdefault((membership.group_id, home.id), []).append(membership)
        homes[home.id] = home
    for (group_id, home_id), spans in periods.items():
        block = blocks[group_id]
        block.rows.append(_home_row(block, homes[home_id], spans, marks, as_of))
    for block in blocks.values():
        block.rows.sort(key=lambda r: (r.home.name.casefold(), r.home.id))
    return [b for b in blocks.values() if b.rows or b.sessions]


def _home_row(block: GroupBlock, home: CareHome, spans: list[Membership], marks: dict[tuple[int, int], Any],
              as_of: date) -> HomeRow:
    home_marks: list[Mark] = []
    cells: dict[int, str] = {}
    for column in block.sessions:
        if not any(m.is_current(column.day) for m in spans):
            continue
        entry = marks.get((column.id, home.id))
        cells[column.id] = entry.status if entry else ""
        if entry is None:
            continue
        mark = Mark(column.day, entry.status, entry.senior_present)
        home_marks.append(mark)
        if entry.status != AttendanceStatus.EXCUSED:
            column.expected += 1
            column.attended += mark.attended
    withdrawn = not any(m.is_current(as_of) for m in spans)
    engagement = assess(home_marks, as_of=as_of, withdrawn=withdrawn)
    previous = _previous_status(home_marks, withdrawn)
    return HomeRow(block.group, home, engagement, previous, cells)


def _previous_status(marks: list[Mark], withdrawn: bool) -> EngagementStatus | None:
    """The status just before the latest expected session (None when there is nothing before)."""
    expected = [m for m in marks if m.status != AttendanceStatus.EXCUSED]
    if withdrawn or not expected:
        return None
    latest = expected[-1].on
    earlier = [m for m in marks if m.on < latest]
    return assess(earlier, as_of=latest - timedelta(days=1)).status


def _attach_contacts(rows: Sequence[HomeRow]) -> None:
    """The person to call at each home needing attention: a manager first, then a team leader."""
    ids = {row.home.id for row in rows}
    if not ids:
        return
    best: dict[int, Contact] = {}
    for contact in db.session.scalars(select(Contact).where(Contact.home_id.in_(ids), Contact.is_active)
                                      .order_by(Contact.name, Contact.id)):
        current = best.get(contact.home_id)
        if current is None or SENIOR_FIRST.get(contact.role, 9) < SENIOR_FIRST.get(current.role, 9):
            best[contact.home_id] = contact
    for row in rows:
        row.contact = best.get(row.home.id)


def facilitator_groups(user: User) -> frozenset[int]:
    return frozenset(db.session.scalars(
        select(group_facilitators.c.group_id).where(group_facilitators.c.user_id == user.id)))


def filter_choices() -> tuple[list[Group], list[str]]:
    groups = list(db.session.scalars(select(Group).order_by(Group.name)))
    regions = [r for r in db.session.scalars(
        select(CareHome.region).where(CareHome.region != "").distinct().order_by(CareHome.region)) if r]
    return groups, regions


# The CSV export ------------------------------------------------------------------------------

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
        return self.joined_on <= on and (self.left_on is None or on < self.left_on)


@dataclass(frozen=True)
class ExportPlan:
    """Everything of the export but the entries, read up front; the entries are streamed."""

    group_names: dict[int, str]
    members: dict[int, list[_Member]]  # group id → its homes' membership periods
    sessions: list[Any]
    entries: Any  # the statement for the entries, in session order


def export_plan(filters: Filters, *, now: datetime, zone: ZoneInfo) -> ExportPlan:
    """Read what the export needs but the entries (a fixed number of statements)."""
    group_names = dict(db.session.execute(select(Group.id, Group.name).where(*_group_filter(filters))).all())
    members: dict[int, list[_Member]] = {}
    for m, home in _memberships(filters, filters.date_to or now.astimezone(zone).date()):
        members.setdefault(m.group_id, []).append(_Member(home.id, home.name, home.region,
                                                          home.protected_time_agreed, m.joined_on, m.left_on))
    sessions = db.session.execute(
        select(MeetingSession.id, MeetingSession.group_id, MeetingSession.title, MeetingSession.starts_at,
               MeetingSession.timezone)
        .where(*_session_filter(filters, zone, now))
        .order_by(MeetingSession.starts_at, MeetingSession.id)).all()
    entries = (select(AttendanceEntry.session_id, AttendanceEntry.home_id, AttendanceEntry.status,
                      AttendanceEntry.staff_count, AttendanceEntry.engagement,
                      AttendanceEntry.minutes_attended,
                      AttendanceEntry.source, AttendanceEntry.senior_present, AttendanceEntry.comment)
               .join(MeetingSession, MeetingSession.id == AttendanceEntry.session_id)
               .where(*_session_filter(filters, zone, now))
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


def region_exists(region: str) -> bool:
    return db.session.scalar(select(CareHome.id).where(
        and_(func.lower(CareHome.region) == region.strip().lower())).limit(1)) is not None
