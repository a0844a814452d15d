"""Clashes: a facilitator booked into two sessions at once, across all of their groups."""

from __future__ import annotations

from collections.abc import Iterable
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


def find_clashes(facilitators: Iterable[User], starts: list[datetime], minutes: int) -> list[Clash]:
    """Every scheduled session of these facilitators (in any of their groups) that overlaps one of
    ``starts`` lasting ``minutes``; one per session and facilitator, soonest first."""
    people = {user.id: user for user in facilitators}
    if not starts or not people:
        return []
    length = timedelta(minutes=minutes)
    rows = db.session.execute(
        select(MeetingSession, group_facilitators.c.user_id)
        .join(Group, Group.id == MeetingSession.group_id)
        .join(group_facilitators, group_facilitators.c.group_id == Group.id)
        .where(group_facilitators.c.user_id.in_(people),
               MeetingSession.status == SessionStatus.SCHEDULED.value,
               MeetingSession.starts_at < max(starts) + length, MeetingSession.ends_at > min(starts))
        .options(joinedload(MeetingSession.group))
        .order_by(MeetingSession.starts_at, MeetingSession.id)).all()
    clashes = []
    for other, user_id in rows:
        for start in starts:
            if other.starts_at < start + length and other.ends_at > start:
                clashes.append(Clash(start, other, people[user_id]))
                break
    return clashes


def overlaps(facilitator: User, starts: list[datetime], minutes: int) -> bool:
    return bool(find_clashes([facilitator], starts, minutes))
