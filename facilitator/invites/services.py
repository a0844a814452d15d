"""Writes for invitations: queue invites, updates and cancellations; resend; retry; opt out.

Everything here flushes and never commits: outbox rows ride in the transaction of the change that
caused them (a booking, a membership, a contact edit), so a change is never saved without its
emails, nor an email queued for a change that was rolled back. The one exception is a join
link's tap (``record_join``): bookkeeping, noted best-effort after the request.

Who is invited: every active contact of every home that is a member of the session's group on
the session's date. ``reconcile_session`` compares that with who was invited before and queues
the difference: a REQUEST for the newly invited (or for everyone, when the session changed), a
CANCEL for whoever is no longer invited.

Account emails (a password reset) go the same way: ``queue_plain_email`` writes the row, with the
content its caller wrote, and the outbox worker delivers it with the same retries and backoff.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta
from email.utils import parseaddr
from functools import partial

from flask import current_app
from sqlalchemy import and_, insert, or_, select, update

from facilitator.clock import now_utc
from facilitator.database import write_best_effort
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.invites import queries, render, series
from facilitator.invites.tokens import revoke_contact_links, rotate_contact_token
from facilitator.models import (
    Contact,
    DeliveryStatus,
    Group,
    InviteDelivery,
    JoinRecord,
    LinkKind,
    MeetingSession,
    MessageKind,
    Method,
    OutboxMessage,
    OutboxStatus,
    ReminderOptOut,
    Series,
)
from facilitator.models.invites import CALENDAR_KINDS
from facilitator.transaction import housekeeping

REPLACED = "Replaced by a newer message before it was sent."
# An expired link's page queues at most one fresh-link email per contact in this time.
FRESH_LINK_EVERY = timedelta(hours=1)


# ------------------------------------------------------------------------------ messages


def mail_domain() -> str:
    _, address = parseaddr(str(current_app.config["MAIL_FROM"]))
    return address.rpartition("@")[2] or "facilitator.invalid"


def new_message_id(kind: str) -> str:
    """A Message-ID fixed when the row is written, so every (re)send carries the same one."""
    return f"<{kind}.{secrets.token_hex(16)}@{mail_domain()}>"


def new_message(kind: MessageKind, reason: str, contact: Contact, to_email: str,
                 session: MeetingSession | None = None, **extra: object) -> OutboxMessage:
    now = now_utc()
    message = OutboxMessage(
        kind=kind.value, reason=reason, status=OutboxStatus.PENDING.value, message_id=new_message_id(kind),
        session_id=session.id if session else None, contact_id=contact.id, to_email=to_email,
        to_name=contact.name, next_attempt_at=now, created_at=now, **extra)
    db.session.add(message)
    return message


def queue_plain_email(*, to_email: str, to_name: str, subject: str, text: str, html: str) -> OutboxMessage:
    """Queue an email written in full by the caller (an account email) to a user, not a contact.

    It rides in the caller's transaction (flushed, never committed), so it is sent only if that
    commits. The content is stored now, since it cannot be rebuilt (a reset link's token exists
    nowhere else), with its Message-ID fixed, and cleared once the message is sent or has failed.
    """
    now = now_utc()
    kind = MessageKind.ACCOUNT
    message = OutboxMessage(
        kind=kind.value, reason="account", status=OutboxStatus.PENDING.value, message_id=new_message_id(kind),
        session_id=None, contact_id=None, to_email=to_email, to_name=to_name, next_attempt_at=now,
        created_at=now)
    render.fill_plain(message, now, subject, text, html)
    db.session.add(message)
    db.session.flush()
    return message


def _calendar_rows(session_id: int, contact_id: int, to_email: str) -> object:
    return and_(OutboxMessage.session_id == session_id, OutboxMessage.contact_id == contact_id,
                OutboxMessage.to_email == to_email, OutboxMessage.kind.in_(CALENDAR_KINDS))


def _supersede(session_id: int, contact_id: int, to_email: str) -> None:
    """Pending invites/cancels to this address that no worker holds are replaced by the new one."""
    now = now_utc()
    db.session.execute(
        update(OutboxMessage)
        .where(_calendar_rows(session_id, contact_id, to_email),
               OutboxMessage.status == OutboxStatus.PENDING,
               or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .values(status=OutboxStatus.SKIPPED.value, last_error=REPLACED, locked_until=None)
        .execution_options(synchronize_session="fetch"))


def _maybe_delivered(session_id: int, contact_id: int, to_email: str) -> bool:
    """Could an invite have reached this address (sent, or rendered and perhaps sent)?"""
    now = now_utc()
    found = db.session.scalar(select(OutboxMessage.id).where(
        _calendar_rows(session_id, contact_id, to_email),
        or_(OutboxMessage.status == OutboxStatus.SENT,
            and_(OutboxMessage.status == OutboxStatus.PENDING,
                 or_(OutboxMessage.rendered_at.is_not(None), OutboxMessage.locked_until >= now)))).limit(1))
    return found is not None


def queue_request(session: MeetingSession, contact: Contact, delivery: InviteDelivery | None,
                  reason: str) -> OutboxMessage | None:
    """Queue an invite (or an update) to the contact's current address; for a session of a
    series invited as one entry, the contact's series message (None when nothing needs saying)."""
    now = now_utc()
    in_series = series.series_of(session)
    if in_series is None:
        _supersede(session.id, contact.id, contact.email)
    if delivery is None:
        delivery = InviteDelivery(session_id=session.id, contact_id=contact.id)
        db.session.add(delivery)
    delivery.email, delivery.method = contact.email, Method.REQUEST.value
    delivery.status, delivery.error, delivery.updated_at = DeliveryStatus.PENDING.value, None, now
    delivery.invited_at = delivery.invited_at or now
    if in_series is not None:
        return queue_series(in_series, contact, contact.email, reason)
    return new_message(MessageKind.REQUEST, reason, contact, contact.email, session)


def queue_cancel(session: MeetingSession, delivery: InviteDelivery, reason: str) -> OutboxMessage | None:
    """Queue a CANCEL to the address the invite went to; nothing when no invite can have arrived."""
    in_series = series.series_of(session)
    # Asked before superseding: a rendered message still pending may have gone out (a crash).
    if in_series is None:
        reached = _maybe_delivered(session.id, delivery.contact_id, delivery.email)
        _supersede(session.id, delivery.contact_id, delivery.email)
    else:
        reached = series.maybe_delivered(in_series, delivery.contact_id, delivery.email)
    delivery.method, delivery.error, delivery.updated_at = Method.CANCEL.value, None, now_utc()
    if not reached:
        delivery.status = DeliveryStatus.SKIPPED.value
    else:
        delivery.status = DeliveryStatus.PENDING.value
    if in_series is not None:
        cancelled = session if session.is_cancelled else None
        return queue_series(in_series, delivery.contact, delivery.email, reason, cancelled)
    if not reached:
        return None
    return new_message(MessageKind.CANCEL, reason, delivery.contact, delivery.email, session)


def queue_series(in_series: Series, contact: Contact, email: str, reason: str,
                 cancelled: MeetingSession | None = None, *,
                 ended_early: bool = False) -> OutboxMessage | None:
    """Queue (or bring up to date) the contact's one message for a series after a change.

    ``cancelled``: the change was that occurrence's cancellation (a CANCEL of it alone, unless a
    waiting message will say more). Reads the contact's invited occurrences, so the caller has
    updated the deliveries first. A waiting, unrendered message is re-used: it is rendered from
    the state at send time, so a step that touches every session is still one email.
    """
    db.session.flush()
    waiting = series.waiting_message(in_series, contact.id, email)
    decision = series.decide(in_series, contact, email, waiting, cancelled, ended_early=ended_early)
    if decision is None:
        series.supersede(in_series, contact.id, email)
        return None
    kind, occurrence = decision
    if waiting is None:
        series.supersede(in_series, contact.id, email)
        waiting = new_message(kind, reason, contact, email, series_id=in_series.id)
    waiting.kind, waiting.session_id, waiting.reason = kind.value, occurrence, reason
    return waiting


def series_ended_early(in_series: Series) -> list[OutboxMessage]:
    """The series now ends before its later sessions (they became a new series): everyone it
    reached gets what is left of it, with its UNTIL."""
    queued = []
    for contact_id, email in series.invited_addresses(in_series):
        contact = db.session.get(Contact, contact_id)
        message = contact and queue_series(in_series, contact, email, "split", ended_early=True)
        if message is not None:
            queued.append(message)
    return queued


# ---------------------------------------------------------------------------- reconcile


def reconcile_session(session: MeetingSession, reason: str, *, changed: bool = False,
                      contact_ids: Iterable[int] | None = None) -> list[OutboxMessage]:
    """Bring who is invited to ``session`` in line with the rules; returns the queued messages.

    ``changed``: the session itself changed, so everyone still invited gets the update.
    ``contact_ids`` limits the work to those contacts. A session that has ended is left alone.
    """
    if session.ends_at <= now_utc():
        return []
    db.session.flush()
    existing = queries.deliveries(session)
    scope = set(contact_ids) if contact_ids is not None else None
    if session.is_cancelled:
        targets = [d for d in existing.values() if d.is_invited and (scope is None or d.contact_id in scope)]
        return [m for d in targets if (m := queue_cancel(session, d, reason)) is not None]
    eligible = queries.eligible_contacts(session)
    wanted = set(eligible) | {cid for cid, d in existing.items() if d.is_invited}
    queued: list[OutboxMessage | None] = []
    for contact_id in sorted(wanted if scope is None else wanted & scope):
        queued += _reconcile_contact(session, eligible.get(contact_id), existing.get(contact_id),
                                     reason, changed)
    return list({id(m): m for m in queued if m is not None}.values())


def _reconcile_contact(session: MeetingSession, contact: Contact | None, delivery: InviteDelivery | None,
                       reason: str, changed: bool) -> list[OutboxMessage | None]:
    invited = delivery is not None and delivery.is_invited
    if contact is None:
        return [queue_cancel(session, delivery, reason)] if invited and delivery else []
    if invited and delivery and delivery.email != contact.email:
        # A new address: the old one gets a CANCEL, the new one the invite.
        return [queue_cancel(session, delivery, reason), queue_request(session, contact, delivery, reason)]
    if not invited or changed:
        return [queue_request(session, contact, delivery, reason)]
    return []


def membership_changed(group: Group, home_id: int) -> None:
    contact_ids = list(db.session.scalars(select(Contact.id).where(Contact.home_id == home_id)))
    for session in queries.open_sessions_of_groups([group.id], now_utc()):
        reconcile_session(session, "membership", contact_ids=contact_ids)


def contact_changed(contact_id: int) -> None:
    contact = db.session.get(Contact, contact_id)
    if contact is None:
        return
    now = now_utc()
    group_ids = {m.group_id for m in queries.memberships_of_home(contact.home_id)}
    sessions = {s.id: s for s in queries.open_sessions_of_groups(group_ids, now)}
    sessions.update({s.id: s for s in queries.sessions_with_invited(contact.id, now)})
    for session in sorted(sessions.values(), key=lambda s: (s.starts_at, s.id)):
        reconcile_session(session, "contact", contact_ids=[contact.id])


# ------------------------------------------------------------------------------- resend


def resend(session: MeetingSession, contact_id: int | None = None) -> int:
    """Send the current invite (or the cancellation) again to one contact or to everyone."""
    if session.ends_at <= now_utc():
        raise DomainError("This session has ended, so there is nothing to resend.")
    scope = None if contact_id is None else [contact_id]
    if session.is_cancelled:
        targets = [d for d in queries.deliveries(session).values()
                   if d.status != DeliveryStatus.SKIPPED and (scope is None or d.contact_id in scope)]
        queued = [m for d in targets if (m := queue_cancel(session, d, "resend")) is not None]
    else:
        queued = reconcile_session(session, "resend", changed=True, contact_ids=scope)
    if not queued:
        who = "this contact" if contact_id is not None else "anyone"
        raise DomainError(f"There is nothing to send to {who}: not invited to this session.")
    return len(queued)


def _cannot_rebuild(message: OutboxMessage) -> bool:
    """An account email whose content was cleared when it failed: there is nothing left to send."""
    return message.kind == MessageKind.ACCOUNT and message.body_text is None


def retry_message(message: OutboxMessage) -> None:
    """Put a failed (or waiting) message back in the queue for the next worker run."""
    if message.status not in (OutboxStatus.FAILED, OutboxStatus.PENDING):
        raise DomainError("Only failed or waiting messages can be retried.")
    if _cannot_rebuild(message):
        raise DomainError("This account email held a one-time link and cannot be sent again; "
                          "the person can ask for a new one.")
    message.status, message.attempts = OutboxStatus.PENDING.value, 0
    message.next_attempt_at, message.locked_until = now_utc(), None
    if message.body_text is None:
        message.rendered_at = None  # its content was cleared when it failed: build it afresh
    if message.kind in CALENDAR_KINDS and message.session_id is not None:
        delivery = queries.delivery(message.session_id, message.contact_id)
        if delivery is not None and delivery.email == message.to_email:
            delivery.status, delivery.error = DeliveryStatus.PENDING.value, None


def retry_failed() -> int:
    failed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED))
    count = 0
    for message in failed:
        if _cannot_rebuild(message):
            continue
        retry_message(message)
        count += 1
    return count


# ------------------------------------------------------------------------- contact links


def revoke_links(contact: Contact) -> int:
    return revoke_contact_links(contact)


def send_home_link(contact: Contact, reason: str = "home_link") -> OutboxMessage:
    """Queue an email with the contact's home-page and feed links (the current ones; rendering
    mints only what the contact lacks, such as a new page link for an expired one)."""
    if not contact.is_active:
        raise DomainError("This contact is inactive; make them active before sending a link.")
    return new_message(MessageKind.HOME_LINK, reason, contact, contact.email)


def send_fresh_home_link(contact: Contact) -> OutboxMessage | None:
    """Asked from an expired link's page: email the contact's links to their own address, once
    per ``FRESH_LINK_EVERY`` however often the page is asked."""
    since = now_utc() - FRESH_LINK_EVERY
    recent = db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.contact_id == contact.id, OutboxMessage.kind == MessageKind.HOME_LINK,
        OutboxMessage.reason == "fresh_link", OutboxMessage.created_at >= since).limit(1))
    if recent is not None or not contact.is_active:
        return None
    return send_home_link(contact, "fresh_link")


ROTATABLE = {LinkKind.HOME.value: LinkKind.HOME, LinkKind.FEED.value: LinkKind.FEED}


def rotate_link(contact: Contact, kind: str | None) -> tuple[LinkKind, OutboxMessage | None]:
    """Replace the contact's home-page or feed link (``kind``: "home" or "feed"; the old one stops
    working at once) and, for an active contact, email the links."""
    link_kind = ROTATABLE.get(kind or "")
    if link_kind is None:
        raise DomainError("Choose the home-page link or the feed link.")
    rotate_contact_token(contact, link_kind)
    return link_kind, send_home_link(contact, "rotated") if contact.is_active else None


def set_reminders(contact: Contact, wanted: bool) -> None:
    row = db.session.scalar(select(ReminderOptOut).where(ReminderOptOut.contact_id == contact.id))
    if wanted and row is not None:
        db.session.delete(row)
    elif not wanted and row is None:
        db.session.add(ReminderOptOut(contact_id=contact.id, created_at=now_utc()))
    db.session.flush()


def record_join(session: MeetingSession, contact: Contact, family: str, in_window: bool, via: str) -> None:
    """Note a tap on a join link once the request's own transaction has ended, on a connection of
    its own (``transaction.housekeeping``): the redirect to the meeting never waits for a busy
    database, nor fails with it. A tap lost to a long lock is only a piece of evidence lost."""
    housekeeping(partial(write_best_effort, insert(JoinRecord).values(
        session_id=session.id, home_id=contact.home_id, contact_id=contact.id, joined_at=now_utc(),
        user_agent_family=family[:60], in_window=in_window, via=via)))
