"""The checks of a reschedule, before anything is written: every field's problem at once, then
where each session moves to, and the clashes, bank holidays and past dates that makes, by the
same rules as booking (``checks``, ``clashes``, ``calendar_notes``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from facilitator.booking import calendar_notes
from facilitator.booking.checks import check_duration, check_past, check_scope, check_start, check_title
from facilitator.booking.clashes import Clash, find_span_clashes
from facilitator.booking.times import Move
from facilitator.clock import as_local
from facilitator.errors import DomainError
from facilitator.models import MeetingSession

UNSET: Any = object()


@dataclass
class Change:
    """What someone asked to change; a field left ``UNSET`` stays as it is."""

    title: Any = UNSET
    starts_at: Any = UNSET  # aware
    duration_minutes: Any = UNSET
    scope: str = "this"
    allow_clash: bool = False  # keep the new time even though a facilitator is already booked then
    record_only: bool = False  # a new time that has passed: a record, as when booking one


@dataclass(frozen=True)
class Moved:
    session: MeetingSession
    title: str
    starts_at: datetime  # UTC
    ends_at: datetime

    @property
    def is_changed(self) -> bool:
        return (self.title, self.starts_at, self.ends_at) != (self.session.title, self.session.starts_at,
                                                              self.session.ends_at)

    @property
    def is_moved(self) -> bool:
        return (self.starts_at, self.ends_at) != (self.session.starts_at, self.session.ends_at)


@dataclass
class MovePlan:
    """Where each session of a reschedule goes, and what that says about the new dates."""

    moved: list[Moved]
    zone: str
    clashes: list[Clash] = field(default_factory=list)
    holidays: list[str] = field(default_factory=list)

    @property
    def starts(self) -> list[datetime]:
        """The new starts of the sessions that move, in the session's zone."""
        return [as_local(m.starts_at, self.zone) for m in self.moved if m.is_moved]


def change_problems(change: Change, now: datetime) -> dict[str, str]:
    """Every problem of the fields themselves, by the API's field names (nothing is read)."""
    errors: dict[str, str] = {}
    if change.title is not UNSET:
        check_title(change.title, errors)
    if change.duration_minutes is not UNSET:
        check_duration(change.duration_minutes, errors)
    if change.starts_at is not UNSET:
        check_start(change.starts_at, now, errors)
    check_scope(change.scope, errors)
    return errors


def plan_moves(session: MeetingSession, targets: list[MeetingSession], change: Change,
               now: datetime) -> MovePlan:
    """Check ``change`` of ``session`` (and the later ``targets`` of its series) and work out where
    each goes; raises DomainError naming every bad field. A new time that has passed needs
    ``record_only``, as a booking does; clashes are listed, not refused (the caller decides)."""
    errors = change_problems(change, now)
    if errors:
        raise DomainError("Some of the details need correcting.", errors)
    title = UNSET if change.title is UNSET else check_title(change.title, {})
    move = None if change.starts_at is UNSET else Move.of(session, change.starts_at)
    moved = []
    for target in targets:
        start = target.starts_at if move is None else move.apply(target, session).astimezone(UTC)
        minutes = target.duration_minutes if change.duration_minutes is UNSET else change.duration_minutes
        moved.append(Moved(target, target.title if title is UNSET else title, start,
                           start + timedelta(minutes=minutes)))
    plan = MovePlan(moved, session.timezone)
    shifted = [m for m in moved if m.is_moved]
    new_starts = [m.starts_at for m in shifted if m.starts_at != m.session.starts_at]
    check_past(change.record_only, [start <= now for start in new_starts], errors)
    if errors:
        raise DomainError("Some of the details need correcting.", errors)
    plan.clashes = find_span_clashes(session.group.facilitators, [(m.starts_at, m.ends_at) for m in shifted],
                                     exclude=[t.id for t in targets])
    plan.holidays = calendar_notes.holiday_warnings(plan.starts, False)
    return plan


def holiday_notes(sessions: list[MeetingSession]) -> list[str]:
    """The bank-holiday warnings of sessions already moved, in their own zone."""
    return calendar_notes.holiday_warnings([as_local(s.starts_at, s.timezone) for s in sessions], False)
