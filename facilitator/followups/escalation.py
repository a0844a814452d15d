"""Escalation to the leads: a follow-up nobody has logged a contact on for
``FOLLOW_UP_ESCALATE_DAYS`` days.

The clock of a follow-up starts when it opens, and again on the morning a snooze ends
(:func:`waiting_since`); a contact logged since then stops it. An open follow-up whose clock has
run ``FOLLOW_UP_ESCALATE_DAYS`` (10) days is *overdue*: the dashboard's "homes needing
attention" says "no contact for N days", and the worker's pass tells every active lead, one
email each through the outbox, once. ``escalated_at`` is the ledger: a follow-up is escalated
again only if a snooze that ended after its escalation starts the clock again and it runs out
once more. Concurrent passes are decided by a conditional UPDATE (``facilitator.queue.take``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from flask import render_template
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from facilitator import queue
from facilitator.attendance.follow_up_clock import Waiting, escalate_after, waiting
from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.invites.render import base_url
from facilitator.invites.services import queue_plain_email
from facilitator.models import FollowUp, FollowUpState, Role, User


def overdue(now: datetime | None = None) -> list[Waiting]:
    """Every open follow-up overdue now, oldest clock first."""
    now = now or now_utc()
    opened = db.session.scalars(
        select(FollowUp).options(joinedload(FollowUp.home), joinedload(FollowUp.group))
        .where(FollowUp.state == FollowUpState.OPEN, FollowUp.opened_at <= now - escalate_after()))
    return sorted((w for w in waiting(opened) if w.overdue(now)), key=lambda w: w.since)


def escalate_due(now: datetime | None = None, needing: Collection[tuple[int, int]] | None = None) -> int:
    """Tell the leads of each overdue follow-up not yet escalated for its current clock; returns
    how many follow-ups were escalated. ``needing``: the (group, home) pairs that still need
    attention — a home that came back (or was paused) since its follow-up opened is left to its
    facilitators, not escalated. Flushes; the caller commits."""
    now = now or now_utc()
    leads = list(db.session.scalars(select(User).where(User.role == Role.LEAD, User.is_active)
                                    .order_by(User.name, User.id)))
    escalated = 0
    for item in overdue(now):
        if needing is not None and (item.follow_up.group_id, item.follow_up.home_id) not in needing:
            continue
        not_yet = or_(FollowUp.escalated_at.is_(None), FollowUp.escalated_at < item.since)
        if queue.take(FollowUp, item.follow_up.id, [not_yet], {"escalated_at": now}):
            item.follow_up.escalated_at = now
            _tell(leads, item, now)
            escalated += 1
    db.session.flush()
    return escalated


def follow_up_url(follow_up: FollowUp) -> str:
    return f"{base_url()}/follow-ups/{follow_up.id}"


def _tell(leads: list[User], item: Waiting, now: datetime) -> None:
    follow_up = item.follow_up
    subject = f"No contact with {follow_up.home.name} for {item.days(now)} days"
    for lead in leads:
        context = {"user": lead, "follow_up": follow_up, "home": follow_up.home, "group": follow_up.group,
                   "days": item.days(now), "url": follow_up_url(follow_up)}
        queue_plain_email(to_email=lead.email, to_name=lead.name, subject=subject,
                          text=render_template("followups/email/escalated.txt", **context),
                          html=render_template("followups/email/escalated.html", **context))
