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

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from facilitator import queue
from facilitator.extensions import db
from facilitator.models import MailboxMessage

LEASE = timedelta(minutes=10)  # longer than reading one message can take


REPLY = "reply"  # read and recorded; the server has still to be told (Seen, moved)
FINISHED = "finished"  # a reply the server was told about


def first_unread(mailbox: str, uidvalidity: int) -> int:
    """The lowest UID worth asking the server for: the first unfinished claim or reply, or past
    the last."""
    here = (MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == uidvalidity)
    unfinished = db.session.scalar(select(func.min(MailboxMessage.uid)).where(
        *here, or_(MailboxMessage.outcome.is_(None), MailboxMessage.outcome == REPLY)))
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


def claim_unfinished(mailbox: str, uidvalidity: int, uid: int, worker: str, now: datetime) -> int | None:
    """The row of a reply recorded earlier whose worker could not tell the server (its lease ran
    out), if this worker now holds it."""
    row_id = db.session.scalar(select(MailboxMessage.id).where(
        MailboxMessage.mailbox == mailbox, MailboxMessage.uidvalidity == uidvalidity,
        MailboxMessage.uid == uid, MailboxMessage.outcome == REPLY))
    free = [MailboxMessage.outcome == REPLY, queue.lease_free(MailboxMessage.lease_until, now)]
    values = {"claimed_by": worker[:100], "lease_until": now + LEASE}
    return row_id if row_id is not None and queue.take(MailboxMessage, row_id, free, values) else None


def finish(row_id: int, outcome: str, now: datetime) -> None:
    """Mark the message read, with what it was; the caller commits with the answers it gave. A
    reply keeps its worker's lease until the server is told, so nobody else tells it meanwhile."""
    row = db.session.get(MailboxMessage, row_id)
    assert row is not None
    row.outcome, row.done_at = outcome[:20], now
    row.lease_until = now + LEASE if outcome == REPLY else None
