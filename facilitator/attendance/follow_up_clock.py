"""The clock of a follow-up (issue 18), which the leads' dashboard reads as "no contact for N days"
and the follow-ups' escalation acts on: it starts when a follow-up opens, and again on the
morning a snooze ends; a contact logged since then stops it. Here, below both, so that the
dashboard need not import the follow-ups area."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from facilitator.clock import now_utc, zone_name
from facilitator.extensions import db
from facilitator.models import FollowUp, FollowUpContact, FollowUpState
from facilitator.recurrence import local_moment


def escalate_after() -> timedelta:
    return timedelta(days=int(current_app.config["FOLLOW_UP_ESCALATE_DAYS"]))


def waiting_since(follow_up: FollowUp) -> datetime:
    """When the follow-up's clock started: its opening, or the morning its snooze ended."""
    if follow_up.snooze_until is None or follow_up.state != FollowUpState.OPEN:
        return follow_up.opened_at
    woke = local_moment(follow_up.snooze_until, time.min, zone_name())
    return max(follow_up.opened_at, woke)


@dataclass(frozen=True)
class Waiting:
    """An open follow-up with no contact logged since its clock started."""

    follow_up: FollowUp
    since: datetime

    def days(self, now: datetime) -> int:
        return (now - self.since).days

    def overdue(self, now: datetime) -> bool:
        return now - self.since >= escalate_after()


def waiting(follow_ups: Iterable[FollowUp]) -> list[Waiting]:
    """Of ``follow_ups``, the open ones with no contact since their clock started (one statement)."""
    rows = [f for f in follow_ups if f.state == FollowUpState.OPEN]
    ids = [f.id for f in rows]
    last = {follow_up_id: when for follow_up_id, when in db.session.execute(
        select(FollowUpContact.follow_up_id, func.max(FollowUpContact.logged_at))
        .where(FollowUpContact.follow_up_id.in_(ids)).group_by(FollowUpContact.follow_up_id))}
    found = []
    for follow_up in rows:
        since = waiting_since(follow_up)
        if last.get(follow_up.id) is None or last[follow_up.id] < since:
            found.append(Waiting(follow_up, since))
    return found


def no_contact_days(pairs: Iterable[tuple[int, int]],
                    now: datetime | None = None) -> dict[tuple[int, int], int]:
    """For each (group id, home id) with an overdue open follow-up: its days without contact.
    Always the same two statements, whether or not any home needs attention (the dashboard's
    statement count stays constant)."""
    wanted = set(pairs)
    now = now or now_utc()
    rows = db.session.scalars(select(FollowUp).where(
        FollowUp.state == FollowUpState.OPEN, FollowUp.group_id.in_({g for g, _ in wanted}),
        FollowUp.home_id.in_({h for _, h in wanted})))
    days = {(w.follow_up.group_id, w.follow_up.home_id): w.days(now) for w in waiting(rows) if w.overdue(now)}
    return {pair: n for pair, n in days.items() if pair in wanted}
