"""Opening follow-ups: a home that becomes at risk or disengaged in a group gets one, with the
engagement report's reason, for the group's facilitators.

The engagement report decides who needs attention (``EngagementStatus.needs_attention``: at risk
or disengaged; never paused, withdrawn, new or engaged homes). :func:`open_missing` reads it for
every group (the worker's pass, ``facilitator.followups.worker``) or one group as of today and
opens what is missing:

- one follow-up not closed per home and group: the partial unique index decides between
  concurrent openers, and the loser simply finds the winner's row;
- a home whose follow-up in the group was closed is followed up again only once a session of
  the group that started after the closing is recorded and still leaves it needing attention, so
  closing one does not reopen it at the next pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from facilitator.attendance import report
from facilitator.attendance.filters import Filters
from facilitator.clock import now_utc, zone
from facilitator.extensions import db
from facilitator.models import FollowUp, FollowUpState, MeetingSession
from facilitator.models.attendance import AttendanceEntry

Pair = tuple[int, int]  # (group_id, home_id)
MAX_REASON = 300


def needing_attention(group_id: int | None = None, now: datetime | None = None) -> dict[Pair, Any]:
    """The engagement report's rows of homes needing attention now, by (group, home)."""
    rows = report.engagement_report(Filters(group_id=group_id), now=now or now_utc(), zone=zone(),
                                    charted=0).attention
    return {(row.group.id, row.home.id): row for row in rows}


def open_missing(group_id: int | None = None, now: datetime | None = None,
                 needing: dict[Pair, Any] | None = None) -> int:
    """Open a follow-up for each home needing attention that has none; returns how many were
    opened. ``group_id``: that group's homes only; ``needing``: :func:`needing_attention`, when the
    caller has it already. Flushes; the caller commits."""
    now = now or now_utc()
    wanted = dict(needing if needing is not None else needing_attention(group_id, now))
    for pair in _followed(wanted):
        del wanted[pair]
    return sum(open_follow_up(group_id, home_id, row.engagement.status.value, row.engagement.reason, now)
               is not None for (group_id, home_id), row in wanted.items())


def _followed(pairs: Iterable[Pair]) -> set[Pair]:
    """Of ``pairs``, those with a follow-up not closed, or one closed after the start of the
    group's latest session whose register records the home."""
    pairs = set(pairs)
    if not pairs:
        return set()
    groups, homes = {g for g, _ in pairs}, {h for _, h in pairs}
    latest_closed: dict[Pair, datetime | None] = {}
    for group_id, home_id, open_count, closed in db.session.execute(
            select(FollowUp.group_id, FollowUp.home_id,
                   func.count().filter(FollowUp.state != FollowUpState.CLOSED), func.max(FollowUp.closed_at))
            .where(FollowUp.group_id.in_(groups), FollowUp.home_id.in_(homes))
            .group_by(FollowUp.group_id, FollowUp.home_id)):
        latest_closed[(group_id, home_id)] = None if open_count else closed
    followed = {pair for pair, closed in latest_closed.items() if pair in pairs and closed is None}
    closed_pairs = {pair: closed for pair, closed in latest_closed.items() if pair in pairs and closed}
    recorded = _latest_recorded(closed_pairs)
    followed |= {pair for pair, closed in closed_pairs.items()
                 if recorded.get(pair) is None or recorded[pair] <= closed}
    return followed


def _latest_recorded(pairs: dict[Pair, datetime]) -> dict[Pair, datetime]:
    """The start of each home's latest session in the group with its register entry (one statement)."""
    if not pairs:
        return {}
    groups, homes = {g for g, _ in pairs}, {h for _, h in pairs}
    rows = db.session.execute(
        select(MeetingSession.group_id, AttendanceEntry.home_id, func.max(MeetingSession.starts_at))
        .join(MeetingSession, MeetingSession.id == AttendanceEntry.session_id)
        .where(MeetingSession.group_id.in_(groups), AttendanceEntry.home_id.in_(homes),
               AttendanceEntry.status.is_not(None))
        .group_by(MeetingSession.group_id, AttendanceEntry.home_id))
    return {(g, h): when for g, h, when in rows if (g, h) in pairs and when is not None}


def open_follow_up(group_id: int, home_id: int, status: str, reason: str, now: datetime) -> FollowUp | None:
    """Open one follow-up; None when another opener's (or an open one) is already there."""
    try:
        with db.session.begin_nested():
            follow_up = FollowUp(group_id=group_id, home_id=home_id, status=status,
                                 reason=reason[:MAX_REASON], state=FollowUpState.OPEN.value, opened_at=now)
            db.session.add(follow_up)
            db.session.flush()
    except IntegrityError:
        return None
    return follow_up
