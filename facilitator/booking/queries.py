"""Reads for the booking screens, the group page's sessions and the facilitator's home page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.models import (
    Group,
    MeetingSession,
    SessionStatus,
    SyncState,
    User,
    can_manage_group,
    group_facilitators,
)
from facilitator.providers import gate, hub

RECENT = timedelta(days=1)  # a session stays under "upcoming" until a day after it started


@dataclass
class Banner:
    provider: str
    message: str


def banners(now: datetime) -> list[Banner]:
    """One banner per provider the circuit breaker is leaving alone right now."""
    result = []
    for name, until in sorted(gate.open_circuits(now).items()):
        label = hub().label(name)
        result.append(Banner(name, (
            f"{label} is not answering at the moment. Bookings are still saved, and their meetings "
            f"will be made on {label} as soon as it answers again (we try again after "
            f"{until:%H:%M} UTC).")))
    return result


def group_sessions(group: Group, now: datetime) -> tuple[list[MeetingSession], list[MeetingSession]]:
    """(upcoming, past) sessions of a group, cancelled ones included, nearest first."""
    rows = list(db.session.scalars(select(MeetingSession).where(MeetingSession.group_id == group.id)
                                   .order_by(MeetingSession.starts_at)))
    upcoming = [s for s in rows if s.starts_at >= now - RECENT]
    past = [s for s in reversed(rows) if s.starts_at < now - RECENT]
    return upcoming, past


def upcoming_for(user: User, now: datetime, limit: int = 20) -> list[MeetingSession]:
    """Scheduled sessions still to come of the groups ``user`` facilitates."""
    return list(db.session.scalars(
        select(MeetingSession)
        .join(group_facilitators, group_facilitators.c.group_id == MeetingSession.group_id)
        .where(group_facilitators.c.user_id == user.id, MeetingSession.starts_at >= now - RECENT,
               MeetingSession.status == SessionStatus.SCHEDULED.value)
        .options(joinedload(MeetingSession.group))
        .order_by(MeetingSession.starts_at).limit(limit)))


def series_sessions(session: MeetingSession) -> list[MeetingSession]:
    if not session.series_id:
        return []
    return list(db.session.scalars(select(MeetingSession)
                                   .where(MeetingSession.series_id == session.series_id)
                                   .order_by(MeetingSession.starts_at)))


def sessions_between(group_id: int | None, start: datetime | None, end: datetime | None,
                     limit: int, only_groups: frozenset[int] | None = None) -> list[MeetingSession]:
    """Sessions soonest first; ``only_groups`` (None: every group) limits them to those groups."""
    query = select(MeetingSession).order_by(MeetingSession.starts_at, MeetingSession.id).limit(limit)
    if only_groups is not None:
        query = query.where(MeetingSession.group_id.in_(only_groups))
    if group_id is not None:
        query = query.where(MeetingSession.group_id == group_id)
    if start is not None:
        query = query.where(MeetingSession.starts_at >= start)
    if end is not None:
        query = query.where(MeetingSession.starts_at < end)
    return list(db.session.scalars(query))


def sync_label(session: MeetingSession) -> str:
    """How the session stands with its provider, in words."""
    label = hub().label(session.provider)
    if session.sync_state == SyncState.FAILED:
        return f"{label} refused it"
    if session.sync_state == SyncState.PENDING:
        return f"Waiting for {label}"
    if session.is_backfill and not session.provider_meeting_id:
        return "Recorded after it happened"
    return "Up to date" if session.provider_meeting_id or session.join_url else "No meeting"


def panel(group: Group, user: User | None) -> dict[str, Any]:
    """What the group page shows about its sessions."""
    now = now_utc()
    upcoming, past = group_sessions(group, now)
    return {"upcoming": upcoming, "past": past[:10], "can_book": can_manage_group(user, group),
            "banners": banners(now)}
