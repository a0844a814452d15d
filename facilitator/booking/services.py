"""Booking, rescheduling and cancelling sessions. Flush, never commit; no ``request``, no ``flash``.

Every change leaves the session saying what the provider still has to be told (``sync_action``,
``sync_state`` pending) and asks for a push to the provider once the request commits (an
after-commit job, ``facilitator.transaction``), so a provider that is down never loses a
booking. Invitations are queued through ``facilitator.invites.hooks`` in the same transaction,
for sessions still to come only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from facilitator import recurrence
from facilitator.booking import calendar_notes, sync
from facilitator.booking.checks import (
    MAX_SERIES,
    MAX_TITLE,
    ProviderCatalog,
    check_duration,
    check_join_url,
    check_past,
    check_provider,
    check_repeat,
    check_scope,
    check_start,
    check_title,
)
from facilitator.booking.clashes import Clash, find_clashes
from facilitator.booking.moves import UNSET, Change, MovePlan, plan_moves
from facilitator.booking.revisions import add_revision, check_version, flush_or_conflict
from facilitator.booking.series import create_series, split_following
from facilitator.booking.times import clock_change_warnings, series_starts, wall_clock_warning
from facilitator.clock import as_local
from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.invites import hooks
from facilitator.models import (
    Group,
    MeetingSession,
    SessionStatus,
    SyncAction,
    SyncState,
    User,
    can_manage_group,
)


@dataclass
class Booking:
    """What someone asked for. ``starts_at`` is aware (None: not given); ``every`` None means a
    single session."""

    title: str
    starts_at: datetime | None
    duration_minutes: int
    provider: str | None = None
    join_url: str | None = None
    every: str | None = None
    count: int = 1
    # The time of day as typed in the booking's zone: one the clocks skip or repeat is warned about.
    wall_time: time | None = None
    monthly_by: str = "date"  # a monthly series: the same "date" (clamped) or the same "weekday"
    skip_holidays: bool = False  # leave Scottish bank holidays out of a series (it runs on)
    allow_clash: bool = False  # book even though a facilitator is already booked then
    record_only: bool = False  # a session that already happened: no meeting, no invitations


@dataclass
class Plan:
    """The sessions a booking makes, checked, before anything is written."""

    provider: str
    title: str
    join_url: str | None
    duration_minutes: int
    starts: list[datetime]  # aware, in the booking's zone, same wall-clock time
    zone: str
    past: list[bool]
    warnings: list[str] = field(default_factory=list)
    holidays: list[str] = field(default_factory=list)  # dates on bank holidays, and those skipped
    clashes: list[Clash] = field(default_factory=list)
    repeat_rule: str | None = None  # how a monthly series picks its dates, in words


class ClashError(ConflictError):
    """A booking or a reschedule would put a facilitator into two sessions at once; ``plan`` (a
    booking's ``Plan`` or a reschedule's ``MovePlan``) lists the clashes for the form."""

    def __init__(self, clashes: list[Clash], zone: str, plan: Plan | MovePlan,
                 anyway: str = "Book anyway") -> None:
        texts = [clash.text(zone) for clash in clashes]
        super().__init__(f"A facilitator is already booked at this time. {anyway} to keep both.",
                         {"starts_at": " ".join(texts)
                          + f" Tick “{anyway}” (allow_clash in the API) to keep it all the same."})
        self.plan = plan


@dataclass
class BookingResult:
    sessions: list[MeetingSession]
    series_id: str | None
    warnings: list[str]


# Permissions ---------------------------------------------------------------------------------

class Forbidden(DomainError):
    status = 403


def require_manager(user: User, group: Group) -> None:
    """Facilitators book only for their own groups, admins for any; everyone else reads."""
    if not can_manage_group(user, group):
        raise Forbidden("You can only book and change sessions of groups you facilitate.")


# Booking -------------------------------------------------------------------------------------

def plan_booking(group: Group, booking: Booking, catalog: ProviderCatalog, *, zone: str,
                 now: datetime) -> Plan:
    """Check a booking and work out its sessions; raises DomainError naming every bad field."""
    errors: dict[str, str] = {}
    title = check_title(booking.title, errors)
    check_duration(booking.duration_minutes, errors)
    provider = booking.provider or group.provider
    check_provider(provider, catalog, errors)
    count = check_repeat(booking.every, booking.count, booking.monthly_by, errors)
    starts: list[datetime] = []
    notes: list[str] = []
    if check_start(booking.starts_at, now, errors):
        starts, notes = _series(booking, count, zone)
    past = [start <= now for start in starts]
    check_past(booking.record_only, past, errors)
    join_url = check_join_url(booking.join_url, provider, catalog, all(past) and bool(past), errors)
    if errors:
        raise DomainError("Some of the details need correcting.", errors)
    warnings = clock_change_warnings(starts, zone) + _wall_clock_warnings(booking, starts, zone)
    minutes = booking.duration_minutes
    return Plan(provider=provider, title=title, join_url=join_url, duration_minutes=minutes,
                starts=starts, zone=zone, past=past, warnings=warnings,
                holidays=calendar_notes.holiday_warnings(starts, count > 1) + notes,
                clashes=find_clashes(group.facilitators, starts, minutes),
                repeat_rule=recurrence.monthly_rule(starts, booking.monthly_by)
                if booking.every == "month" and count > 1 else None)


def booking_problems(group: Group, booking: Booking, catalog: ProviderCatalog, *, zone: str,
                     now: datetime) -> dict[str, str]:
    """Every problem :func:`plan_booking` finds, by field, for a form to show beside its own
    (nothing is written; a clash is no problem here, Book asks about it). A start the form could
    not read is the form's to explain."""
    try:
        plan_booking(group, booking, catalog, zone=zone, now=now)
    except DomainError as exc:
        problems = dict(exc.fields)
        if booking.starts_at is None:
            problems.pop("starts_at", None)
        return problems
    return {}


def _series(booking: Booking, count: int, zone: str) -> tuple[list[datetime], list[str]]:
    """The starts, leaving out bank holidays when asked (a series only), and notes of those skipped."""
    if not booking.skip_holidays or count <= 1:
        return series_starts(booking.starts_at, booking.every, count, zone, booking.monthly_by), []
    starts = series_starts(booking.starts_at, booking.every, count, zone, booking.monthly_by,
                           skip=calendar_notes.is_bank_holiday)
    first_day = as_local(booking.starts_at, zone).date()
    candidates = recurrence.series_dates(first_day, booking.every, count + recurrence.SKIP_SPARE,
                                         booking.monthly_by)
    last = as_local(starts[-1], zone).date() if starts else candidates[-1]
    return starts, calendar_notes.skipped_notes(candidates, last)




def _wall_clock_warnings(booking: Booking, starts: list[datetime], zone: str) -> list[str]:
    if booking.wall_time is None:
        return []
    days = dict.fromkeys(as_local(start, zone).date() for start in starts)
    return [w for day in days if (w := wall_clock_warning(day, booking.wall_time, zone))]


def book_sessions(user: User, group: Group, booking: Booking, catalog: ProviderCatalog, *,
                  zone: str, now: datetime) -> BookingResult:
    """Save the session (or series). Sessions still to come wait for the provider (pending);
    one that already started is a back-filled record: no meeting, no invites."""
    require_manager(user, group)
    plan = plan_booking(group, booking, catalog, zone=zone, now=now)
    if plan.clashes and not booking.allow_clash:
        raise ClashError(plan.clashes, plan.zone, plan)
    series_id = str(uuid.uuid4()) if len(plan.starts) > 1 else None
    host = catalog.host_for(plan.provider, [user, *group.facilitators])
    sessions = []
    for start, is_past in zip(plan.starts, plan.past, strict=True):
        session = MeetingSession(
            group=group, series_id=series_id, title=plan.title, starts_at=start.astimezone(UTC),
            ends_at=start.astimezone(UTC) + timedelta(minutes=plan.duration_minutes),
            timezone=zone, status=SessionStatus.SCHEDULED.value, provider=plan.provider,
            join_url=plan.join_url, provider_host=host, created_by=user, created_at=now, sequence=0)
        if is_past:
            _set_sync(session, SyncAction.NONE, SyncState.SYNCED, None)
        else:
            _set_sync(session, SyncAction.CREATE, SyncState.PENDING, now)
        db.session.add(session)
        sessions.append(session)
    if series_id and booking.every:
        create_series(group, series_id, sessions, every=booking.every, monthly_by=booking.monthly_by,
                      first_start=booking.starts_at, now=now)
    db.session.flush()
    for session, is_past in zip(sessions, plan.past, strict=True):
        add_revision(session, user, now)
        if not is_past:
            hooks.session_booked(session)
    db.session.flush()
    sync.push_after_commit(sessions)
    return BookingResult(sessions, series_id, plan.warnings + plan.holidays)


# Changing ------------------------------------------------------------------------------------

def reschedule_sessions(user: User, session: MeetingSession, *, now: datetime, title: str = UNSET,
                        starts_at: datetime = UNSET, duration_minutes: int = UNSET,
                        scope: str = "this", expected_version: int | None = None,
                        allow_clash: bool = False, record_only: bool = False) -> list[MeetingSession]:
    """Change title, start or length of a session, or of it and the later ones of its series.

    The later sessions move by the same number of days and to the same wall-clock time, so a
    series stays at its local time across clock changes. The new times are checked as a
    booking's are (``moves.plan_moves``): a clash is refused (409) unless ``allow_clash``, a
    time that has passed needs ``record_only``. Returns the sessions that changed.
    """
    change = Change(title, starts_at, duration_minutes, scope, allow_clash, record_only)
    plan = plan_reschedule(user, session, change, now, expected_version)
    if plan.clashes and not allow_clash:
        raise ClashError(plan.clashes, plan.zone, plan, anyway="Save anyway")
    changed = []
    for moved in plan.moved:
        if not moved.is_changed:
            continue
        target = moved.session
        target.title, target.starts_at, target.ends_at = moved.title, moved.starts_at, moved.ends_at
        target.sequence += 1
        _plan_sync_after_change(target, now)
        changed.append(target)
    flush_or_conflict()
    if scope == "following" and changed:
        split_following(session, [m.session for m in plan.moved], now)
    for target in changed:
        add_revision(target, user, now)
        if target.starts_at > now:
            hooks.session_changed(target)
    db.session.flush()
    sync.push_after_commit(changed)
    return changed


def plan_reschedule(user: User, session: MeetingSession, change: Change, now: datetime,
                    expected_version: int | None = None) -> MovePlan:
    """Lock and check a reschedule and say where each session goes, writing nothing."""
    _lock(session)
    require_manager(user, session.group)
    check_version(session, expected_version)
    if session.is_cancelled:
        raise ConflictError("This session was cancelled, so it cannot be changed.",
                            {"status": "The session is cancelled."})
    return plan_moves(session, _targets(session, change.scope), change, now)


def cancel_sessions(user: User, session: MeetingSession, *, now: datetime, scope: str = "this",
                    expected_version: int | None = None) -> list[MeetingSession]:
    """Cancel a session (or it and the later ones of its series). The rows stay, cancelled; the
    provider's meeting of a session still to come is deleted. Cancelling twice changes nothing."""
    _lock(session)
    require_manager(user, session.group)
    check_version(session, expected_version)
    errors: dict[str, str] = {}
    check_scope(scope, errors)
    if errors:
        raise DomainError("Some of the details need correcting.", errors)
    cancelled = []
    for target in _targets(session, scope):
        if target.is_cancelled:
            continue
        target.status = SessionStatus.CANCELLED.value
        target.sequence += 1
        in_flight = target.lease_until is not None and target.lease_until > now
        has_meeting = bool(target.provider_meeting_id) or target.create_maybe_sent or in_flight
        if has_meeting and (target.starts_at > now or target.sync_action == SyncAction.CREATE):
            _set_sync(target, SyncAction.DELETE, SyncState.PENDING, now)
        else:
            # Nothing made yet, or a meeting that already happened: keep it for its attendance.
            _set_sync(target, SyncAction.NONE, SyncState.SYNCED, None)
        cancelled.append(target)
    flush_or_conflict()
    for target in cancelled:
        add_revision(target, user, now)
        if target.starts_at > now:
            hooks.session_cancelled(target)
    db.session.flush()
    sync.push_after_commit(cancelled)
    return cancelled


def retry_sync(user: User, session: MeetingSession, now: datetime) -> None:
    """Send a failed (or waiting) change to the provider again now.

    Written without touching ``version``: it changes nothing a person edits, so it must not make
    someone else's open edit form conflict.
    """
    require_manager(user, session.group)
    if session.sync_action == SyncAction.NONE:
        raise ConflictError("This session has nothing waiting for the provider.",
                            {"sync_state": "Already up to date."})
    db.session.execute(
        update(MeetingSession).where(MeetingSession.id == session.id)
        .values(sync_state=SyncState.PENDING.value, next_sync_at=now, sync_error=None,
                sync_attempts=0).execution_options(synchronize_session=False))
    db.session.expire(session)
    sync.push_after_commit([session])


def set_zoom_hosts(hosts: dict[int, str | None]) -> None:
    """Map facilitators to their own Zoom host users (an id or email); blank means the default."""
    errors = {}
    for user_id, host in hosts.items():
        value = (host or "").strip()
        if value.lower() == "me" or any(c.isspace() for c in value) or len(value) > 254:
            errors[f"host-{user_id}"] = "Enter the Zoom user's id or email address (not 'me')."
    if errors:
        raise DomainError("Some hosts are not valid.", errors)
    for user_id, host in hosts.items():
        user = db.session.get(User, user_id)
        if user is not None:
            user.zoom_host_user = (host or "").strip() or None
    db.session.flush()


# Helpers -------------------------------------------------------------------------------------

def _set_sync(session: MeetingSession, action: SyncAction, state: SyncState, due: datetime | None) -> None:
    session.sync_action, session.sync_state = action.value, state.value
    session.next_sync_at, session.sync_error = due, None
    session.sync_attempts = 0


def _plan_sync_after_change(session: MeetingSession, now: datetime) -> None:
    """What the provider must hear after a change of time or title of a scheduled session."""
    in_flight = session.lease_until is not None and session.lease_until > now
    if session.provider_meeting_id:
        _set_sync(session, SyncAction.UPDATE, SyncState.PENDING, now)
    elif session.sync_action == SyncAction.CREATE and (
            session.starts_at > now or session.create_maybe_sent or in_flight):
        # Not made yet: the create (or the update after an in-flight create) carries the change.
        _set_sync(session, SyncAction.CREATE, SyncState.PENDING, now)
    elif session.starts_at > now:
        _set_sync(session, SyncAction.CREATE, SyncState.PENDING, now)  # a record moved ahead
    else:
        _set_sync(session, SyncAction.NONE, SyncState.SYNCED, None)


def _targets(session: MeetingSession, scope: str) -> list[MeetingSession]:
    if scope != "following" or not session.series_id:
        return [session]
    later = db.session.scalars(
        select(MeetingSession)
        .where(MeetingSession.series_id == session.series_id, MeetingSession.id != session.id,
               MeetingSession.starts_at > session.starts_at,
               MeetingSession.status == SessionStatus.SCHEDULED.value)
        .order_by(MeetingSession.starts_at)
        .with_for_update())
    return [session, *later]


def _lock(session: MeetingSession) -> None:
    """Re-read the row, locked until commit, so the decisions below see the latest sync state."""
    db.session.refresh(session, with_for_update=True)


__all__ = ["MAX_SERIES", "MAX_TITLE", "Booking", "BookingResult", "ClashError", "Plan", "ProviderCatalog"]
