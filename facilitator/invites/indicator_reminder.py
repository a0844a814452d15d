"""The monthly reminder of the return, one email to each contact, through the outbox (issue 19).

The outbox's send pass queues it (``queue_indicator_reminders``), as it queues the weekly actions
digest (``facilitator.invites.digest``, the model): on the 1st of each month, to every active
contact of every home that is a member of a group that day, asking for last month's counts with
the link to ``/h/<token>/indicators``. The ledger (``IndicatorReminderSend``, one row per contact
and month) makes it once a month whoever runs the pass and however often; a contact who stopped
reminders gets none (the same opt-out, the same link in the email). A pass that first runs on the
2nd sends nothing that month: the reminder belongs to the 1st.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.indicators.services import last_month
from facilitator.invites import queries
from facilitator.invites.services import new_message
from facilitator.models import Contact, IndicatorReminderSend, MessageKind

REASON = "monthly_return"


def queue_indicator_reminders(today: date | None = None) -> int:
    """On the 1st, queue last month's reminder for each contact not yet sent it; returns how many.
    Flushes only."""
    today = today or local_today()
    if today.day != 1:
        return 0
    month = last_month(today)
    done = set(db.session.scalars(
        select(IndicatorReminderSend.contact_id).where(IndicatorReminderSend.month == month)))
    return sum(_record(contact, month) for contact in queries.member_contacts_on(today)
               if contact.id not in done and not queries.is_opted_out(contact.id))


def _record(contact: Contact, month: date) -> int:
    """The once-a-month row and its message; a concurrent pass that wrote it first wins."""
    try:
        with db.session.begin_nested():
            row = IndicatorReminderSend(contact_id=contact.id, month=month)
            db.session.add(row)
            db.session.flush()
            message = new_message(MessageKind.INDICATORS, REASON, contact, contact.email)
            db.session.flush()
            row.outbox_message_id = message.id
    except IntegrityError:
        return 0
    return 1

