"""The ``series`` row of a series booked as one calendar entry, and "this and the following".

Booking a series writes its row (the rule it was booked by, the UID its invitations carry) and
gives each session the start its rule gave it (``series_slot_at``, the occurrence's
RECURRENCE-ID). Changing "this and the following" of such a series ends the series before that
session (``until``) and makes the rest a new series with a new UID, as calendar clients do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from facilitator.extensions import db
from facilitator.invites import hooks
from facilitator.invites.series import rule_starts
from facilitator.models import Group, MeetingSession, Series


def create_series(group: Group, series_id: str, sessions: list[MeetingSession], *, every: str,
                  monthly_by: str, first_start: datetime, now: datetime) -> Series:
    """The row of a newly booked series; ``first_start`` is the date its rule starts from (the
    start asked for, even when a bank holiday left that date out)."""
    first = sessions[0]
    row = Series(id=series_id, group_id=group.id, rule=every, count=len(sessions),
                 monthly_by=monthly_by if every == "month" else None, timezone=first.timezone,
                 title=first.title, duration_minutes=first.duration_minutes,
                 first_starts_at=first_start.astimezone(UTC), created_at=now)
    db.session.add(row)
    for session in sessions:
        session.series_slot_at = session.starts_at
    return row


def split_following(session: MeetingSession, targets: list[MeetingSession], now: datetime) -> Series | None:
    """Make ``targets`` (``session`` and the later ones, already changed) a new series; the old
    one ends before them. None for a series without a row (its sessions stay per-session)."""
    old = db.session.get(Series, session.series_id) if session.series_id else None
    if old is None or session.series_slot_at is None:
        return None
    kept = [s for s in _sessions(old) if s not in targets]
    ordered = sorted(targets, key=lambda s: s.starts_at)
    if not kept:
        # From its first session on: still one series, with the same UID, from the new start.
        old.first_starts_at, old.title = session.starts_at, session.title
        old.duration_minutes = session.duration_minutes
        for target, slot in zip(ordered, _slots(old, ordered), strict=True):
            target.series_slot_at = slot
        return old
    new = Series(id=str(uuid.uuid4()), group_id=old.group_id, rule=old.rule, count=len(targets),
                 monthly_by=old.monthly_by, timezone=old.timezone, title=session.title,
                 duration_minutes=session.duration_minutes, first_starts_at=session.starts_at,
                 created_at=now, until=old.until)
    db.session.add(new)
    old.until = max((s.series_slot_at for s in kept if s.series_slot_at), default=old.first_starts_at)
    old.count = len(kept)
    for target, slot in zip(ordered, _slots(new, ordered), strict=True):
        target.series_id, target.series_slot_at = new.id, slot
    db.session.flush()
    hooks.series_split(old)
    return new


def _slots(new: Series, targets: list[MeetingSession]) -> list[datetime]:
    """The new series' rule start of each target: its own start where the rule gives it, else
    the rule's next start (the session is then an exception to the rule)."""
    starts = rule_starts(new, targets[-1].starts_at + timedelta(days=62))
    slots: list[datetime] = []
    for target in targets:
        later = [s for s in starts if not slots or s > slots[-1]]
        slots.append(target.starts_at if target.starts_at in later else later[0])
    return slots


def _sessions(of: Series) -> list[MeetingSession]:
    return list(db.session.scalars(db.select(MeetingSession).where(MeetingSession.series_id == of.id)))
