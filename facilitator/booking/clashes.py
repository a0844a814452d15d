"""Clashes: a facilitator booked into two sessions at once, across all of their groups.

The rule lives here once: two scheduled sessions clash when each starts before the other ends
(:func:`overlap`). Booking and rescheduling ask :func:`find_clashes`; the calendar asks
:func:`clashes_among` about the sessions it already read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facilitator.clock import as_local
from facilitator.extensions import db
from facilitator.models import Group, MeetingSession, SessionStatus, User, group_facilitators


@dataclass(frozen=True)
class Clash:
    """A planned start that overlaps ``other``, a scheduled session of ``facilitator``."""

    start: datetime
    other: MeetingSession
    facilitator: User

    def text(self, zone: str) -> str:
        begins, ends = as_local(self.other.starts_at, zone), as_local(self.other.ends_at, zone)
        return (f"{self.facilitator.name} is already booked for “{self.other.title}” "
                f"({self.other.group.name}) on {begins:%A %-d %B %Y}, {begins:%H:%M}–{ends:%H:%M} "
                f"{begins.tzname()}.")


def overlap(start: datetime, end: datetime, other_start: datetime, other_end: datetime) -> bool:
    """Two stretches of time overlap when each begins before the other ends (back to back is fine)."""
    return other_start < end and other_end > start


def find_clashes(facilitators: Iterable[User], starts: list[datetime], minutes: int,
                 exclude: Collection[int] = ()) -> list[Clash]:
    """Every scheduled session of these facilitators (in any of their groups) that overlaps one of
    ``starts`` lasting ``minutes``; one per session and facilitator, soonest first. The sessions
    in ``exclude`` (those being moved) are left out."""
    length = timedelta(minutes=minutes)
    return find_span_clashes(facilitators, [(start, start + length) for start in starts], exclude)


def find_span_clashes(facilitators: Iterable[User], spans: list[tuple[datetime, datetime]],
                      exclude: Collection[int] = ()) -> list[Clash]:
    """:func:`find_clashes` for ``(start, end)`` pairs, each as long as it is."""
    people = {user.id: user for user in facilitators}
    if not spans or not people:
        return []
    query = (select(MeetingSession, group_facilitators.c.user_id)
             .join(Group, Group.id == MeetingSession.group_id)
             .join(group_facilitators, group_facilitators.c.group_id == Group.id)
             .where(group_facilitators.c.user_id.in_(people),
                    MeetingSession.status == SessionStatus.SCHEDULED.value,
                    MeetingSession.starts_at < max(end for _, end in spans),
                    MeetingSession.ends_at > min(start for start, _ in spans))
             .options(joinedload(MeetingSession.group))
             .order_by(MeetingSession.starts_at, MeetingSession.id))
    if exclude:
        query = query.where(MeetingSession.id.not_in(list(exclude)))
    clashes = []
    for other, user_id in db.session.execute(query).all():
        for start, end in spans:
            if overlap(start, end, other.starts_at, other.ends_at):
                clashes.append(Clash(start, other, people[user_id]))
                break
    return clashes


def clashes_among(sessions: list[MeetingSession]) -> dict[int, list[MeetingSession]]:
    """Of one facilitator's sessions, soonest first: each scheduled one's clashes with the others."""
    live = [s for s in sessions if s.status == SessionStatus.SCHEDULED.value]
    found: dict[int, list[MeetingSession]] = {}
    for i, session in enumerate(live):
        for other in live[i + 1:]:
            if other.starts_at >= session.ends_at:
                break  # sorted by start: no later one can overlap this one
            if overlap(session.starts_at, session.ends_at, other.starts_at, other.ends_at):
                found.setdefault(session.id, []).append(other)
                found.setdefault(other.id, []).append(session)
    return found


def overlaps(facilitator: User, starts: list[datetime], minutes: int) -> bool:
    return bool(find_clashes([facilitator], starts, minutes))
