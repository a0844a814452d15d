"""Which mailbox messages have been read: claimed by insert, so each is read once.

A worker claims (mailbox, UIDVALIDITY, UID) by inserting its row and committing before it reads
the message; a second worker's insert fails on the unique constraint and it moves on. A claim
whose worker died keeps no outcome and its lease runs out; the next worker takes it over with a
conditional update (``queue.take``). A new UIDVALIDITY (the folder was rebuilt, its UIDs mean
other messages now) has no rows, so reading starts over from UID 1; recording an answer again is
harmless (``facilitator.replies.record``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from facilitator import queue
from facilitator.extensions import db
from facilitator.models import MailboxMessage

LEASE = timedelta(minutes=10)  # longer than reading one message can take


def first_unread(mailbox: str, uidvalidity: int) -> int:
    """The lowest UID worth asking the server for: the first unfinished claim, or past the last."""
    here = (MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == uidvalidity)
    unfinished = db.session.scalar(
        select(func.min(MailboxMessage.uid)).where(*here, MailboxMessage.outcome.is_(None)))
    if unfinished is not None:
        return int(unfinished)
    last = db.session.scalar(select(func.max(MailboxMessage.uid)).where(*here))
    return int(last or 0) + 1


def claim(mailbox: str, uidvalidity: int, uid: int, worker: str, now: datetime) -> int | None:
    """The ledger row's id if this worker now holds the message; None if it is done or held."""
    key = (MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == uidvalidity,
           MailboxMessage.uid == uid)
    existing = db.session.scalar(select(MailboxMessage.id).where(*key))
    if existing is None:
        row = MailboxMessage(mailbox=mailbox, uidvalidity=uidvalidity, uid=uid, claimed_by=worker[:100],
                             lease_until=now + LEASE)
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:
            return None
        return row.id
    free = [MailboxMessage.outcome.is_(None), queue.lease_free(MailboxMessage.lease_until, now)]
    won = queue.take(MailboxMessage, existing, free, {"claimed_by": worker[:100], "lease_until": now + LEASE})
    return existing if won else None


def finish(row_id: int, outcome: str, now: datetime) -> None:
    """Mark the message read, with what it was; the caller commits with the answers it gave."""
    row = db.session.get(MailboxMessage, row_id)
    assert row is not None
    row.outcome, row.done_at, row.lease_until = outcome[:20], now, None
