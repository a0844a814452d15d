"""Reads that show no confidential text: lists of notes, supervision dates and cadence, counts.

Nothing here decrypts. Cadence: supervision is due ``SUPERVISION_CADENCE_MONTHS`` after the last
one (same day of the month, or the month's last day). A gap is *kept* when the next supervision
came by its due date and *missed* when it did not; the period still open counts as missed once
it is overdue. Kept and missed are counted over the last twelve months.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from facilitator.clock import as_local
from facilitator.extensions import db
from facilitator.models import (
    CareHome,
    MeetingSession,
    Membership,
    Role,
    User,
    group_facilitators,
)
from facilitator.models.supervision import (
    AuditEvent,
    SessionNote,
    SupervisionAction,
    SupervisionRecord,
)
from facilitator.recurrence import add_months

WINDOW_MONTHS = 12


def cadence_months() -> int:
    return int(current_app.config["SUPERVISION_CADENCE_MONTHS"])


def retention_cutoff(today: date) -> date:
    return add_months(today, -int(current_app.config["NOTES_RETENTION_MONTHS"]))


# Notes ----------------------------------------------------------------------------------------

def sessions_for_notes(user: User, limit: int = 200) -> list[MeetingSession]:
    """Sessions of the groups ``user`` facilitates, most recent first."""
    return list(db.session.scalars(
        select(MeetingSession)
        .join(group_facilitators, group_facilitators.c.group_id == MeetingSession.group_id)
        .where(group_facilitators.c.user_id == user.id)
        .options(selectinload(MeetingSession.group))
        .order_by(MeetingSession.starts_at.desc()).limit(limit)))


def homes_for_notes(user: User) -> list[CareHome]:
    return list(db.session.scalars(
        select(CareHome).join(Membership, Membership.home_id == CareHome.id)
        .join(group_facilitators, group_facilitators.c.group_id == Membership.group_id)
        .where(group_facilitators.c.user_id == user.id).distinct().order_by(CareHome.name)))


def _note_listing() -> Any:
    return (select(SessionNote)
            .options(selectinload(SessionNote.session).selectinload(MeetingSession.group),
                     selectinload(SessionNote.home), selectinload(SessionNote.author))
            .order_by(SessionNote.created_at.desc(), SessionNote.id.desc()))


def notes_visible_to(user: User, session_id: int | None = None) -> list[SessionNote]:
    """A facilitator's own notes; for a supervisor, the notes shared with them."""
    query = _note_listing()
    if user.role == Role.SUPERVISOR:
        query = query.where(SessionNote.shared_with_id == user.id,
                            SessionNote.is_shared_with_supervisor.is_(True))
    else:
        query = query.where(SessionNote.author_id == user.id)
    if session_id is not None:
        query = query.where(SessionNote.session_id == session_id)
    return list(db.session.scalars(query))


# Supervision ----------------------------------------------------------------------------------

@dataclass
class Cadence:
    months: int
    last_on: date | None = None
    due_on: date | None = None
    planned_on: date | None = None
    overdue: bool = False
    kept: int = 0
    missed: int = 0
    dates: list[date] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.overdue:
            return "overdue"
        return "none recorded" if self.last_on is None else "on track"

    @property
    def rhythm(self) -> str:
        """"monthly", "every 2 months"."""
        return "monthly" if self.months == 1 else f"every {self.months} months"

    def tally(self, kept: str = "kept", missed: str = "missed") -> str:
        """"2 kept, 1 missed", or "none kept or missed yet" before anything counts."""
        if not self.kept and not self.missed:
            return "none kept or missed yet"
        return f"{self.kept} {kept}, {self.missed} {missed}"


def cadence(dates: list[date], today: date, months: int, planned_on: date | None = None,
            started_on: date | None = None) -> Cadence:
    """The cadence of these supervision dates. With none, the first is due ``months`` after
    ``started_on`` (the day the facilitator's account was made): never supervised is overdue
    once that has passed, not merely "none recorded"."""
    dates = sorted(set(dates))
    result = Cadence(months=months, dates=dates, planned_on=planned_on)
    if not dates:
        if started_on is not None:
            result.due_on = add_months(started_on, months)
            result.overdue = today > result.due_on
            result.missed = int(result.overdue)
        return result
    window_start = add_months(today, -WINDOW_MONTHS)
    for earlier, later in zip(dates, dates[1:], strict=False):
        if later < window_start:
            continue
        if later <= add_months(earlier, months):
            result.kept += 1
        else:
            result.missed += 1
    result.last_on = dates[-1]
    result.due_on = add_months(dates[-1], months)
    result.overdue = today > result.due_on
    if result.overdue:
        result.missed += 1
    return result


def started_on(user: User) -> date | None:
    """The local day a user's account was made: their start, for a first supervision's due date."""
    return as_local(user.created_at).date() if user.created_at else None


@dataclass
class FacilitatorSummary:
    """What a lead may see of one facilitator: dates, cadence and action counts."""

    facilitator: User
    cadence: Cadence
    actions_total: int = 0
    actions_done: int = 0
    records: list[SupervisionRecord] = field(default_factory=list)

    @property
    def actions_open(self) -> int:
        return self.actions_total - self.actions_done


def records_of(facilitator_id: int) -> list[SupervisionRecord]:
    return list(db.session.scalars(
        select(SupervisionRecord).where(SupervisionRecord.facilitator_id == facilitator_id)
        .options(selectinload(SupervisionRecord.actions), joinedload(SupervisionRecord.supervisor))
        .order_by(SupervisionRecord.held_on.desc(), SupervisionRecord.id.desc())))


def summary(facilitator: User, today: date) -> FacilitatorSummary:
    records = records_of(facilitator.id)
    planned = records[0].next_on if records else None
    result = FacilitatorSummary(facilitator, cadence([r.held_on for r in records], today, cadence_months(),
                                                     planned, started_on(facilitator)), records=records)
    result.actions_total = sum(len(r.actions) for r in records)
    result.actions_done = sum(r.actions_done for r in records)
    return result


def facilitators(supervisor: User | None = None) -> list[User]:
    query = select(User).where(User.role == Role.FACILITATOR, User.is_active).order_by(User.name)
    if supervisor is not None:
        query = query.where(User.supervisor_id == supervisor.id)
    return list(db.session.scalars(query))


def overview(today: date, supervisor: User | None = None) -> list[FacilitatorSummary]:
    """Every active facilitator (or a supervisor's supervisees) with dates, cadence and counts."""
    people = facilitators(supervisor)
    ids = [u.id for u in people]
    dates: dict[int, list[date]] = {i: [] for i in ids}
    planned: dict[int, date | None] = {}
    for fid, held_on, next_on in db.session.execute(
            select(SupervisionRecord.facilitator_id, SupervisionRecord.held_on, SupervisionRecord.next_on)
            .where(SupervisionRecord.facilitator_id.in_(ids))
            .order_by(SupervisionRecord.held_on, SupervisionRecord.id)):
        dates[fid].append(held_on)
        planned[fid] = next_on
    counts = dict.fromkeys(ids, (0, 0))
    for fid, total, done in db.session.execute(
            select(SupervisionRecord.facilitator_id, func.count(SupervisionAction.id),
                   func.count(SupervisionAction.id).filter(SupervisionAction.is_done.is_(True)))
            .join(SupervisionAction, SupervisionAction.record_id == SupervisionRecord.id)
            .where(SupervisionRecord.facilitator_id.in_(ids))
            .group_by(SupervisionRecord.facilitator_id)):
        counts[fid] = (total, done)
    months = cadence_months()
    return [FacilitatorSummary(u, cadence(dates[u.id], today, months, planned.get(u.id), started_on(u)),
                               counts[u.id][0], counts[u.id][1]) for u in people]


@dataclass
class HomeSummary:
    """What the home page shows about supervision for the signed-in user."""

    role: str
    own: FacilitatorSummary | None = None
    supervisees: list[FacilitatorSummary] = field(default_factory=list)
    overdue_count: int = 0


def home_summary(user: User, today: date) -> HomeSummary:
    result = HomeSummary(user.role)
    if user.role == Role.FACILITATOR:
        result.own = summary(user, today)
    elif user.role == Role.SUPERVISOR:
        result.supervisees = overview(today, supervisor=user)
    elif user.role == Role.LEAD:
        result.overdue_count = sum(1 for s in overview(today) if s.cadence.overdue)
    return result


# Retention and admin ------------------------------------------------------------------------

@dataclass(frozen=True)
class Expired:
    kind: str  # "note" or "supervision"
    id: int
    owner_id: int
    dated: date


def expired(cutoff: date) -> list[Expired]:
    """Notes written and supervision held before ``cutoff``: what the retention rule removes."""
    cutoff_at = datetime.combine(cutoff, time.min, tzinfo=UTC)
    notes = db.session.execute(select(SessionNote.id, SessionNote.author_id, SessionNote.created_at)
                               .where(SessionNote.created_at < cutoff_at).order_by(SessionNote.id))
    records = db.session.execute(
        select(SupervisionRecord.id, SupervisionRecord.facilitator_id, SupervisionRecord.held_on)
        .where(SupervisionRecord.held_on < cutoff).order_by(SupervisionRecord.id))
    return ([Expired("note", i, o, d.date()) for i, o, d in notes]
            + [Expired("supervision", i, o, d) for i, o, d in records])



@dataclass
class AuthorCounts:
    author: User
    notes: int = 0
    first_note: Any = None
    last_note: Any = None
    records: int = 0
    first_record: date | None = None
    last_record: date | None = None
    expired: int = 0


def confidential_counts(cutoff: date) -> list[AuthorCounts]:
    """Per author: how many notes and supervision records exist, their dates, how many are expired."""
    rows: dict[int, AuthorCounts] = {}

    def entry(user_id: int) -> AuthorCounts:
        if user_id not in rows:
            rows[user_id] = AuthorCounts(db.session.get(User, user_id))
        return rows[user_id]

    for author_id, count, first, last in db.session.execute(
            select(SessionNote.author_id, func.count(), func.min(SessionNote.created_at),
                   func.max(SessionNote.created_at)).group_by(SessionNote.author_id)):
        e = entry(author_id)
        e.notes, e.first_note, e.last_note = count, first, last
    for fid, count, first, last in db.session.execute(
            select(SupervisionRecord.facilitator_id, func.count(), func.min(SupervisionRecord.held_on),
                   func.max(SupervisionRecord.held_on)).group_by(SupervisionRecord.facilitator_id)):
        e = entry(fid)
        e.records, e.first_record, e.last_record = count, first, last
    for item in expired(cutoff):
        entry(item.owner_id).expired += 1
    return sorted(rows.values(), key=lambda e: e.author.name)


def trail_of(object_type: str, object_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.id)))


def recent_events(limit: int = 200, before: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return list(db.session.scalars(query))


def names_of(user_ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
