"""The outbox worker: queue due reminders and the weekly digest of overdue actions, claim pending
messages, send them, record the outcome.

``flask --app facilitator outbox send`` runs one pass (cron-safe) or, with ``--loop``, keeps going.
Several workers may run at once, on one machine or many:

* A worker **claims** a few messages by setting a lease (``locked_until``/``locked_by``). On
  PostgreSQL the candidates are read ``FOR UPDATE SKIP LOCKED``, so concurrent workers pick
  different rows without waiting; on both databases the lease is taken by a conditional
  ``UPDATE ... WHERE status = 'pending' AND (locked_until IS NULL OR locked_until < now)`` whose
  row count says whether this worker won. A worker that dies leaves a lease that simply expires.
* Each message is then handled in its own short transactions: render (first attempt only) and
  commit, send, record and commit. Nothing is held open while the mail server is talked to.

**A crash between sending and recording** (the process dies after the server accepted the message
but before the commit) leaves the message pending with an expired lease, so it is sent again. That
second copy is byte-identical to the first, with the same ``Message-ID``: the content was rendered
and committed before the first attempt and the MIME boundaries derive from the Message-ID. Mail
servers and clients (Gmail, Outlook/Exchange, Apple Mail) treat a repeated Message-ID as the same
message, so the recipient sees one; a calendar client given the same UID and SEQUENCE again changes
nothing. Sending "at least once" plus a stable Message-ID is what makes delivery effectively once.

Failures: a transient one (server down, 4xx) waits ``OUTBOX_BACKOFF_SECONDS`` doubling per attempt
up to ``OUTBOX_BACKOFF_MAX_SECONDS``; a permanent one (5xx refusal, a message that cannot be built)
or ``OUTBOX_MAX_ATTEMPTS`` attempts mark it failed with the last error, for an admin to retry.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from facilitator import queue, transaction
from facilitator.clock import now_utc
from facilitator.config import reminder_offsets
from facilitator.database import write_intent
from facilitator.extensions import db
from facilitator.invites import applies, queries, render, series, series_render
from facilitator.invites.digest import queue_overdue_digests
from facilitator.invites.indicator_reminder import queue_indicator_reminders
from facilitator.invites.questionnaire_sends import queue_due_rounds, queue_questionnaire_reminders
from facilitator.invites.services import new_message
from facilitator.models import (
    DeliveryStatus,
    InviteDelivery,
    MeetingSession,
    MessageKind,
    Method,
    OutboxMessage,
    OutboxStatus,
    ReminderSend,
    SessionStatus,
)
from facilitator.models.invites import CALENDAR_KINDS
from integrations.mailer import MailBackend, MailError, build_backend

log = logging.getLogger(__name__)

CLAIM_BATCH = 10
MAX_SEND_NOW = 500  # a session's messages: one per contact and kind, a few hundred at most


def run_report(*extra: tuple[str, str]) -> queue.RunReport:
    """What a pass did; ``outcomes`` holds each message's outcome by its Message-ID."""
    return queue.RunReport(("sent", "sent"), ("retrying", "to retry"), ("failed", "failed"),
                           ("skipped", "skipped"), ("reminders", "reminders queued"),
                           ("digests", "action digests queued"),
                           ("indicator_reminders", "monthly return reminders queued"),
                           ("questionnaires", "questionnaire emails queued"), *extra)


def backoff() -> queue.Backoff:
    return queue.Backoff.from_config(current_app.config, "OUTBOX_BACKOFF_SECONDS",
                                     "OUTBOX_BACKOFF_MAX_SECONDS")


# ------------------------------------------------------------------------------ set-up


def init_app(app: Flask) -> None:
    """Build the mail backend once from config (an unusable setting fails at start-up)."""
    settings = dict(app.config)
    if not settings.get("MAIL_OUTBOX_DIR"):
        settings["MAIL_OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")
    app.extensions["mail_backend"] = build_backend(settings)


def mail_backend() -> MailBackend:
    return current_app.extensions["mail_backend"]


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


# ------------------------------------------------------------------------------ the pass


def run_once(backend: MailBackend | None = None, worker: str | None = None,
             limit: int | None = None) -> queue.RunReport:
    """One cron-safe pass: queue due reminders, then deliver up to ``limit`` due messages."""
    backend = backend or mail_backend()
    worker = worker or new_worker_id()
    limit = int(limit or current_app.config["OUTBOX_BATCH_SIZE"])
    result = run_report()
    with write_intent():  # every transaction here may write: on SQLite, take the lock up front
        result.add("reminders", count=queue_due_reminders())
        result.add("digests", count=queue_overdue_digests())
        result.add("indicator_reminders", count=queue_indicator_reminders())
        result.add("questionnaires", count=queue_due_rounds() + queue_questionnaire_reminders())
        transaction.commit()
        handled = 0
        while handled < limit:
            claimed = claim(worker, min(CLAIM_BATCH, limit - handled))
            if not claimed:
                break
            for message_id in claimed:
                outcome, message_ref = deliver_one(message_id, backend, worker)
                result.add(outcome, ref=message_ref)
            handled += len(claimed)
    return result


def send_session_now(session_id: int, backend: MailBackend | None = None) -> queue.RunReport:
    """A facilitator's "Send now": the worker's pass for one session, at once and past any backoff.

    The session's due reminders are queued, then every waiting message of the session is claimed
    and sent exactly as the worker would; a message a worker holds is left to it (``busy``). The
    first failure that may pass (the server is down: each try could take ``SMTP_TIMEOUT``) ends the
    run, and the rest stay queued untried (``untried``). Each failure's error is in ``messages``.
    """
    backend, worker = backend or mail_backend(), new_worker_id()
    result = run_report(("busy", "held by another worker"), ("untried", "not tried"))
    with write_intent():
        result.add("reminders", count=queue_due_reminders(session_id))
        transaction.commit()
        claimed = claim(worker, MAX_SEND_NOW, session_id=session_id)
        result.busy = len(queries.waiting_messages(session_id)) - len(claimed)
        for done, message_id in enumerate(claimed, start=1):
            outcome, message_ref = deliver_one(message_id, backend, worker)
            result.add("busy" if outcome == "lost" else outcome, ref=message_ref)
            if outcome in ("failed", "retrying"):
                result.messages.append(db.session.get(OutboxMessage, message_id).last_error or outcome)
            if outcome == "retrying":  # the server is down or busy: the request does not wait on it
                result.untried = _release(claimed[done:], worker)
                break
    return result


def _release(message_ids: list[int], worker: str) -> int:
    """Give back leases not used, so the next worker pass takes those messages at once."""
    if message_ids:
        db.session.execute(update(OutboxMessage).where(
            OutboxMessage.id.in_(message_ids), OutboxMessage.locked_by == worker,
            OutboxMessage.status == OutboxStatus.PENDING).values(locked_until=None, locked_by=None)
            .execution_options(synchronize_session=False))
        transaction.commit()
    return len(message_ids)


def claim(worker: str, limit: int, session_id: int | None = None) -> list[int]:
    """Lease up to ``limit`` due messages for ``worker``; commits, so the lease is visible at once.

    With ``session_id``: that session's waiting messages, whether or not their backoff has passed.
    """
    now = now_utc()
    lease = now + timedelta(seconds=int(current_app.config["OUTBOX_LEASE_SECONDS"]))
    still_due = [OutboxMessage.status == OutboxStatus.PENDING,
                 queue.lease_free(OutboxMessage.locked_until, now)]
    if session_id is None:
        wanted = OutboxMessage.next_attempt_at <= now
    else:
        wanted = OutboxMessage.session_id == session_id
    due = queue.pick(select(OutboxMessage.id).where(*still_due, wanted)
                     .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    lock = {"locked_until": lease, "locked_by": worker}
    claimed = [message_id for message_id in due if queue.take(OutboxMessage, message_id, still_due, lock)]
    transaction.commit()
    return claimed


def deliver_one(message_id: int, backend: MailBackend, worker: str) -> tuple[str, str]:
    """Send one claimed message; returns (outcome, Message-ID)."""
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status != OutboxStatus.PENDING or message.locked_by != worker:
        db.session.rollback()
        return "lost", str(message_id)
    now = now_utc()
    reason = applies.why_skip(message, now)
    if reason:
        _finish(message, OutboxStatus.SKIPPED, now, reason)
        transaction.commit()
        return "skipped", message.message_id
    if message.rendered_at is None:
        try:
            if message.series_id is not None:
                series_render.render_series_message(message, now)
            else:
                render.render(message, now)
        except render.RenderError as exc:
            return _failed(message, str(exc), transient=False, now=now), message.message_id
        transaction.commit()  # the content and its link tokens exist before anything is sent
    email, ref = render.outgoing(message), message.message_id
    transaction.commit()  # no transaction (on SQLite: no write lock) is held while the server talks
    try:
        backend.send(email)
    except MailError as exc:
        return _failed(message, exc.message, transient=exc.transient, now=now_utc()), ref
    except Exception as exc:  # noqa: BLE001 - an unexpected backend error must not stop the worker
        log.exception("Unexpected error sending outbox message %s", message_id)
        return _failed(message, f"{type(exc).__name__}: {exc}", transient=True, now=now_utc()), ref
    _sent(db.session.get(OutboxMessage, message_id, populate_existing=True), now_utc())
    transaction.commit()
    return "sent", ref


# ----------------------------------------------------------------------------- outcomes


def _finish(message: OutboxMessage, status: OutboxStatus, now: datetime, error: str | None = None) -> None:
    message.status, message.locked_until, message.last_error = status.value, None, error
    # The bodies hold live link tokens: keep them no longer than needed (a retried failure is
    # rendered again, with the contact's current links, a new join link and the same Message-ID).
    message.body_text = message.body_html = message.calendar = None


def _own_delivery(message: OutboxMessage) -> InviteDelivery | None:
    if message.kind not in CALENDAR_KINDS or message.session_id is None or message.series_id is not None:
        return None
    delivery = queries.delivery(message.session_id, message.contact_id)
    if delivery is None or delivery.email != message.to_email:
        return None
    return delivery


def _sent(message: OutboxMessage, now: datetime) -> None:
    message.attempts += 1
    message.sent_at = now
    _finish(message, OutboxStatus.SENT, now)
    if message.series_id is not None:
        series.record_outcome(message, DeliveryStatus.SENT, now)
    delivery = _own_delivery(message)
    if delivery is not None:
        delivery.sequence = max(delivery.sequence or 0, message.sequence or 0)
        delivery.sent_at, delivery.updated_at = now, now
        if not queries.newer_calendar_message(message):
            delivery.status, delivery.error = DeliveryStatus.SENT.value, None


def _failed(message: OutboxMessage, error: str, *, transient: bool, now: datetime) -> str:
    db.session.rollback()  # drop anything half-done (a failed render's tokens)
    message = db.session.get(OutboxMessage, message.id, populate_existing=True)
    message.attempts += 1
    final = not transient or message.attempts >= int(current_app.config["OUTBOX_MAX_ATTEMPTS"])
    delivery = _own_delivery(message)
    if final:
        _finish(message, OutboxStatus.FAILED, now, error[:2000])
        if message.series_id is not None:
            series.record_outcome(message, DeliveryStatus.FAILED, now, error[:2000])
        if delivery is not None and not queries.newer_calendar_message(message):
            delivery.status, delivery.error = DeliveryStatus.FAILED.value, error[:2000]
    else:
        message.last_error, message.locked_until = error[:2000], None
        message.next_attempt_at = now + backoff().delay(message.attempts)
        if delivery is not None:
            delivery.error = f"Not sent yet (attempt {message.attempts}, will retry): {error}"[:2000]
    transaction.commit()
    log.warning("Outbox message %s %s: %s", message.id, "failed" if final else "will be retried", error)
    return "failed" if final else "retrying"


# ------------------------------------------------------------------------------ reminders


def queue_due_reminders(session_id: int | None = None) -> int:
    """Queue each reminder that is due, once per contact, session and offset; returns how many.

    When several offsets are due at once (the worker was stopped, or the session was booked late)
    only the nearest is sent. A contact invited after a reminder's time gets none for it (the
    invite just reached them). ``session_id``: that session's only. Flushes; the caller commits.
    """
    offsets = reminder_offsets(current_app.config["REMINDER_OFFSETS"])
    if not offsets:
        return 0
    now = now_utc()
    soon = [MeetingSession.status == SessionStatus.SCHEDULED, MeetingSession.starts_at > now,
            MeetingSession.starts_at <= now + timedelta(minutes=offsets[0])]
    if session_id is not None:
        soon.append(MeetingSession.id == session_id)
    sessions = db.session.scalars(select(MeetingSession).where(*soon))
    queued = 0
    for session in sessions:
        due = [m for m in offsets if session.starts_at - timedelta(minutes=m) <= now]
        for delivery in _invited(session):
            queued += _queue_for_contact(session, delivery, due)
    return queued


def _invited(session: MeetingSession) -> list[InviteDelivery]:
    return list(db.session.scalars(select(InviteDelivery).where(
        InviteDelivery.session_id == session.id, InviteDelivery.method == Method.REQUEST)))


def _queue_for_contact(session: MeetingSession, delivery: InviteDelivery, due: list[int]) -> int:
    if queries.is_opted_out(delivery.contact_id):
        return 0
    done = _recorded_offsets(session, delivery.contact_id)
    new = [m for m in due if m not in done]
    if not new:
        return 0
    nearest = min(due)
    queued = 0
    for minutes in new:
        reminder_time = session.starts_at - timedelta(minutes=minutes)
        worth = minutes == nearest and (delivery.invited_at is None or delivery.invited_at <= reminder_time)
        queued += _record_reminder(session, delivery, minutes, worth)
    return queued


def _recorded_offsets(session: MeetingSession, contact_id: int) -> set[int]:
    """Offsets already handled for this start time; those for a time the session left are freed
    unless their reminder actually went out."""
    rows = db.session.scalars(select(ReminderSend).where(
        ReminderSend.session_id == session.id, ReminderSend.contact_id == contact_id))
    done = set()
    for row in rows:
        if row.starts_at == session.starts_at or _reminder_went_out(row):
            done.add(row.offset_minutes)
        else:
            db.session.delete(row)
    db.session.flush()
    return done


def _reminder_went_out(row: ReminderSend) -> bool:
    if row.outbox_message_id is None:
        return False
    status = db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == row.outbox_message_id))
    return status == OutboxStatus.SENT


def _record_reminder(session: MeetingSession, delivery: InviteDelivery, minutes: int, worth: bool) -> int:
    """Insert the once-only row (a concurrent worker may win the race) and its message."""
    try:
        with db.session.begin_nested():
            row = ReminderSend(session_id=session.id, contact_id=delivery.contact_id, offset_minutes=minutes,
                               starts_at=session.starts_at, created_at=now_utc())
            db.session.add(row)
            db.session.flush()
            if worth:
                message = new_message(MessageKind.REMINDER, "reminder", delivery.contact, delivery.email,
                                       session, reminder_starts_at=session.starts_at)
                db.session.flush()
                row.outbox_message_id = message.id
    except IntegrityError:
        return 0
    return 1 if worth else 0
