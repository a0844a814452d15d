"""The bench's apologies, pauses and follow-ups (issue 18), after the registers: a few per cent of
the absences become sessions missed with notice (excused, with an Apology row, as the apology link
makes them), a few homes sent apologies for sessions to come, a few homes have pauses (one over
the past, some covering today) and a few homes slipping have an open follow-up with a contact."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from facilitator.models import MeetingSession, Membership
from facilitator.models.attendance import AttendanceEntry
from facilitator.models.engagement import (
    Apology,
    ApologyReason,
    FollowUp,
    FollowUpContact,
    HomePause,
    PauseReason,
)

APOLOGY_EVERY = 6  # one absence in this many becomes an apology
PAUSE_EVERY = 40  # one home in this many has a pause
FOLLOW_UP_EVERY = 50
UPCOMING_APOLOGY_EVERY = 20
CHUNK = 5000

Insert = Callable[[Any, list[dict[str, Any]]], None]
Take = Callable[[Any], int]


def seed_engagement(connection: Connection, insert: Insert, take: Take, rng: random.Random, now: datetime,
                    contacts: dict[int, list[dict[str, Any]]]) -> None:
    _apologies(connection, insert, take, rng, now, contacts)
    home_ids = sorted(contacts)
    _pauses(insert, take, rng, now, home_ids)
    _follow_ups(connection, insert, take, rng, now, contacts)


def _apologies(connection: Connection, insert: Insert, take: Take, rng: random.Random, now: datetime,
               contacts: dict[int, list[dict[str, Any]]]) -> None:
    entries, sessions = AttendanceEntry.__table__, MeetingSession.__table__
    absent = connection.execute(
        sa.select(entries.c.id, entries.c.session_id, entries.c.home_id, sessions.c.starts_at)
        .join(sessions, sessions.c.id == entries.c.session_id)
        .where(entries.c.status == "absent").order_by(entries.c.id)).all()
    chosen = [row for n, row in enumerate(absent) if n % APOLOGY_EVERY == 0]
    ids = [row.id for row in chosen]
    for start in range(0, len(ids), CHUNK):
        connection.execute(sa.update(entries).where(entries.c.id.in_(ids[start:start + CHUNK]))
                           .values(status="excused", source="apology"))
    reasons = [r.value for r in ApologyReason]
    rows = [_apology(take, row.session_id, row.home_id, rng.choice(contacts[row.home_id])["id"],
                     rng.choices(reasons, [45, 30, 10, 15])[0], row.starts_at - timedelta(days=2))
            for row in chosen]
    # Apologies in advance for the sessions to come (no register yet).
    members = Membership.__table__
    upcoming = connection.execute(
        sa.select(sessions.c.id, members.c.home_id)
        .join(members, members.c.group_id == sessions.c.group_id)
        .where(sessions.c.starts_at > now, members.c.left_on.is_(None))
        .order_by(sessions.c.id, members.c.home_id)).all()
    rows += [_apology(take, session_id, home_id, contacts[home_id][0]["id"], "staffing", now)
             for n, (session_id, home_id) in enumerate(upcoming) if n % UPCOMING_APOLOGY_EVERY == 0]
    insert(Apology, rows)


def _apology(take: Take, session_id: int, home_id: int, contact_id: int, reason: str,
             created: datetime) -> dict[str, Any]:
    return {"id": take(Apology.__table__), "session_id": session_id, "home_id": home_id,
            "contact_id": contact_id, "reason": reason, "note": "", "source": "link", "created_at": created,
            "withdrawn_at": None, "digested_at": created + timedelta(days=1)}


def _pauses(insert: Insert, take: Take, rng: random.Random, now: datetime, home_ids: list[int]) -> None:
    today = now.date()
    rows = []
    for n, home_id in enumerate(home_ids):
        if n % PAUSE_EVERY != 3:
            continue
        if n % (2 * PAUSE_EVERY) == 3:  # covering today
            starts = today - timedelta(days=rng.randrange(3, 20))
            ends = today + timedelta(days=rng.randrange(7, 30))
        else:  # a past outbreak
            starts = today - timedelta(days=rng.randrange(120, 400))
            ends = starts + timedelta(days=rng.randrange(14, 42))
        rows.append(_pause(take, home_id, starts, ends, rng.choice([r.value for r in PauseReason]), now))
    insert(HomePause, rows)


def _pause(take: Take, home_id: int, starts: date, ends: date, reason: str, now: datetime) -> dict[str, Any]:
    return {"id": take(HomePause.__table__), "home_id": home_id, "starts_on": starts, "ends_on": ends,
            "reason": reason, "note": "", "created_by_id": None, "created_at": now, "ended_early_at": None}


def _follow_ups(connection: Connection, insert: Insert, take: Take, rng: random.Random, now: datetime,
                contacts: dict[int, list[dict[str, Any]]]) -> None:
    members = Membership.__table__
    pairs = connection.execute(sa.select(members.c.home_id, members.c.group_id).where(
        members.c.left_on.is_(None)).order_by(members.c.id)).all()
    follow_ups, logged = [], []
    for n, (home_id, group_id) in enumerate(pairs):
        if n % FOLLOW_UP_EVERY != 7:
            continue
        follow_up_id = take(FollowUp.__table__)
        opened = now - timedelta(days=rng.randrange(2, 30))
        follow_ups.append({"id": follow_up_id, "home_id": home_id, "group_id": group_id, "status": "at_risk",
                           "reason": "Missed the last 2 sessions without notice.", "state": "open",
                           "opened_at": opened, "snooze_until": None, "escalated_at": None,
                           "missed_you_sent_at": None, "closed_at": None, "closed_by_id": None,
                           "outcome": None, "outcome_note": ""})
        logged.append({"id": take(FollowUpContact.__table__), "follow_up_id": follow_up_id,
                       "channel": "phone",
                       "contact_id": contacts[home_id][0]["id"], "outcome": "Spoke to the manager.",
                       "next_step": "Call again after the next session.", "next_on": None,
                       "logged_by_id": None, "logged_at": opened + timedelta(days=1)})
    insert(FollowUp, follow_ups)
    insert(FollowUpContact, logged)
