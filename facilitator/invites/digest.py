"""The weekly digest of overdue actions, one email to each owner, through the outbox.

The outbox's send pass queues it (``queue_overdue_digests``), as it queues reminders: from
``ACTION_DIGEST_WEEKDAY`` on (0 is Monday) each week, to every active contact who owns an overdue
action, directly or through their role at the home. The ledger (``ActionDigestSend``, one row per
contact and week) makes it once a week whoever runs the pass and however often; a contact who
stopped reminders gets no digest either (the same opt-out, the same link in the email). What the
email lists is read when it is rendered, so an action done in between is not in it, and a digest
with nothing left to list is skipped (``facilitator.invites.render``).
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.invites import queries
from facilitator.invites.services import new_message
from facilitator.journey import action_queries
from facilitator.models import ActionDigestSend, Contact, MessageKind

REASON = "overdue_actions"


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: the ledger's key."""
    return day - timedelta(days=day.weekday())


def is_due(today: date) -> bool:
    """Whether this week's digests may be queued yet."""
    return today.weekday() >= int(current_app.config["ACTION_DIGEST_WEEKDAY"])


def queue_overdue_digests(today: date | None = None, *, any_day: bool = False) -> int:
    """Queue this week's digest for each owner of an overdue action not sent one this week;
    returns how many. ``any_day``: do not wait for ``ACTION_DIGEST_WEEKDAY``. Flushes only."""
    today = today or local_today()
    if not any_day and not is_due(today):
        return 0
    monday = week_of(today)
    done = set(db.session.scalars(
        select(ActionDigestSend.contact_id).where(ActionDigestSend.week_of == monday)))
    queued = 0
    for contact in action_queries.owners_with_overdue(today):
        if contact.id not in done and not queries.is_opted_out(contact.id):
            queued += _record(contact, monday)
    return queued


def _record(contact: Contact, monday: date) -> int:
    """The once-a-week row and its message; a concurrent pass that wrote it first wins."""
    try:
        with db.session.begin_nested():
            row = ActionDigestSend(contact_id=contact.id, week_of=monday)
            db.session.add(row)
            db.session.flush()
            message = new_message(MessageKind.ACTIONS, REASON, contact, contact.email)
            db.session.flush()
            row.outbox_message_id = message.id
    except IntegrityError:
        return 0
    return 1
