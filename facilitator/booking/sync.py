"""Bringing pending creates, updates and deletes to the providers, without losing or doubling one.

Each session goes through three short steps, none of which holds a transaction open while a
provider is called:

1. **claim** (one transaction): ask the provider gate (circuit breaker, host's daily budget),
   then take a lease on the row with an ``UPDATE … WHERE lease is free AND version unchanged``
   checked by its row count (``facilitator.queue``: PostgreSQL also picks candidates with
   ``FOR UPDATE SKIP LOCKED``), and mark a create as possibly sent *before* sending it;
2. **perform** (no database): call the provider; after a create that may have reached it, look
   for the meeting first (Zoom lists the host's meetings for our uid marker; Teams' create is
   idempotent by our uid);
3. **record** (one transaction): store the outcome. If someone changed the session meanwhile, the
   newer change stays pending and is sent next. These writes do not touch ``version``, so the
   sync never makes someone's open edit form conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import click
from flask import current_app
from sqlalchemy import case, func, select, update

from facilitator import queue, transaction
from facilitator.clock import as_local, now_utc
from facilitator.database import write_intent
from facilitator.extensions import db
from facilitator.models import MeetingSession, SyncAction, SyncState
from facilitator.providers import gate, hub
from integrations.http import (
    AuthError,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Rejected,
)
from integrations.providers.base import MeetingProvider, MeetingRequest, ProviderMeeting

log = logging.getLogger(__name__)

BATCH_SIZE = 10
MS = MeetingSession


@dataclass(frozen=True)
class Job:
    """A claimed session, as plain data: nothing here touches the database."""

    session_id: int
    version: int
    action: str
    provider: str
    meeting_id: str | None
    maybe_sent: bool
    request: MeetingRequest

    @property
    def host(self) -> str | None:
        return self.request.host

    @property
    def timezone(self) -> str:
        return self.request.timezone


@dataclass
class Outcome:
    kind: str  # "done", "retry" or "failed"
    meeting: ProviderMeeting | None = None
    message: str | None = None
    retry_at: datetime | None = None
    maybe_sent: bool = False  # a create may have reached the provider
    provider_down: bool = False  # counts towards the circuit breaker
    daily_limit: bool = False  # the host's daily cap is reached
    meeting_gone: bool = False  # an update found no meeting to update


def run_report() -> queue.RunReport:
    return queue.RunReport(("done", "synced"), ("retry", "to retry"), ("failed", "failed"),
                           ("deferred", "waiting (provider paused or daily limit reached)"))


def backoff() -> queue.Backoff:
    """Exponential, with jitter so many sessions that failed together do not retry together."""
    return queue.Backoff.from_config(current_app.config, "SYNC_BACKOFF_SECONDS", "SYNC_BACKOFF_MAX_SECONDS",
                                     jitter=0.25)


# Entry points --------------------------------------------------------------------------------

def push_after_commit(sessions: Iterable[MeetingSession]) -> None:
    """Once the caller's transaction commits, send these sessions' changes to their providers."""
    transaction.after_commit(push, [session.id for session in sessions])


def push(session_ids: Iterable[int], limit: int | None = None) -> None:
    """Sync a request's new or changed sessions straight away, after its commit.

    Only the first ``SYNC_INLINE_LIMIT`` are sent here so a request stays quick; the worker does
    the rest. Never raises: the booking is saved whatever the provider does.
    """
    limit = current_app.config["SYNC_INLINE_LIMIT"] if limit is None else limit
    for session_id in list(session_ids)[:limit]:
        try:
            sync_session(session_id)
        except Exception:  # noqa: BLE001 - the worker will retry; the request must still answer
            db.session.rollback()
            log.exception("Could not sync session %s now; the worker will retry", session_id)


def sync_session(session_id: int) -> str | None:
    """Claim, send and record one session if it is due. Returns the outcome's kind."""
    with write_intent():
        job = claim(session_id, now_utc())
        transaction.commit()
        if job is None:
            return None
        outcome = perform(hub().get(job.provider), job)
        record(job, outcome, now_utc())
        transaction.commit()
    return outcome.kind


def drain(limit: int = 500) -> queue.RunReport:
    """Bring every due session to its provider, oldest first, until none is due or ``limit``."""
    with write_intent():
        return _drain(limit)


def _drain(limit: int) -> queue.RunReport:
    report = run_report()
    handled = 0
    while handled < limit:
        now = now_utc()
        ids = due_ids(now, min(BATCH_SIZE, limit - handled))
        if not ids:
            db.session.rollback()
            break
        jobs = [job for session_id in ids if (job := _claim_locked(session_id, now, report))]
        transaction.commit()
        handled += len(ids)
        for job in jobs:
            if _paused_meanwhile(job):
                report.add("deferred")
                continue
            outcome = perform(hub().get(job.provider), job)
            record(job, outcome, now_utc())
            transaction.commit()
            report.add(outcome.kind)
    return report


def _paused_meanwhile(job: Job) -> bool:
    """If an earlier job of this batch opened the provider's circuit, hand this one back."""
    held = gate.paused(job.provider, now_utc())
    if held is None:
        db.session.rollback()
        return False
    db.session.execute(update(MS).where(MS.id == job.session_id)
                       .values(lease_until=None, next_sync_at=held.until, create_maybe_sent=job.maybe_sent,
                               sync_error=held.message)
                       .execution_options(synchronize_session=False))
    transaction.commit()
    return True


# Claim ---------------------------------------------------------------------------------------

def _due(now: datetime) -> list[Any]:
    return [MS.sync_state == SyncState.PENDING.value, MS.sync_action != SyncAction.NONE.value,
            (MS.next_sync_at.is_(None)) | (MS.next_sync_at <= now), queue.lease_free(MS.lease_until, now)]


def due_ids(now: datetime, limit: int) -> list[int]:
    """Due sessions, the longest waiting first (rows another worker is claiming are skipped)."""
    return queue.pick(select(MS.id).where(*_due(now))
                      .order_by(func.coalesce(MS.next_sync_at, MS.created_at), MS.id).limit(limit))


def claim(session_id: int, now: datetime) -> Job | None:
    """Claim one session (the caller commits)."""
    if not queue.pick(select(MS.id).where(MS.id == session_id, *_due(now))):
        return None
    return _claim_locked(session_id, now, run_report())


def _claim_locked(session_id: int, now: datetime, report: queue.RunReport) -> Job | None:
    session = db.session.get(MS, session_id, populate_existing=True)
    if session is None:
        return None
    held = gate.admit(session, now)
    if held is not None:
        db.session.execute(update(MS).where(MS.id == session.id)
                           .values(next_sync_at=held.until, sync_error=held.message)
                           .execution_options(synchronize_session=False))
        report.add("deferred")
        return None
    taken = queue.take(MS, session.id, [MS.version == session.version,
                                         MS.sync_action == session.sync_action, *_due(now)], {
        "lease_until": now + timedelta(seconds=current_app.config["SYNC_LEASE_SECONDS"]),
        "sync_attempts": MS.sync_attempts + 1,
        "create_maybe_sent": case((MS.sync_action == SyncAction.CREATE.value, True),
                                  else_=MS.create_maybe_sent)})
    if not taken:
        return None  # another worker or an edit got there first
    # ``session`` still holds the values from before the update: was a create perhaps sent before?
    return Job(session.id, session.version, session.sync_action, session.provider,
               session.provider_meeting_id, bool(session.create_maybe_sent), meeting_request(session))


def meeting_request(session: MeetingSession) -> MeetingRequest:
    group = session.group
    agenda = (f"Peer Support and Learning session of {group.name}. "
              "Care homes join through the link in their invitation.")
    return MeetingRequest(
        uid=session.ical_uid, topic=session.title, start=session.starts_at,
        duration_minutes=max(1, session.duration_minutes), timezone=session.timezone, agenda=agenda,
        join_url=session.join_url, host=session.provider_host)


# Perform -------------------------------------------------------------------------------------

def perform(provider: MeetingProvider | None, job: Job) -> Outcome:
    """Call the provider; every failure becomes an Outcome, nothing is raised."""
    if provider is None:
        return Outcome("retry", message="The provider is not connected.")
    try:
        return _call(provider, job)
    except NotFound as exc:
        if job.action == SyncAction.DELETE.value:
            return Outcome("done")
        if job.action == SyncAction.UPDATE.value:
            return Outcome("failed", meeting_gone=True, message=(
                f"The meeting no longer exists on {provider.label} (it may have been deleted there). "
                "Choose “Try again” to make a new one."))
        return Outcome("failed", message=exc.message)
    except RateLimited as exc:  # the provider says whether a daily cap is reached (gate.settle)
        return Outcome("retry", message=exc.message, retry_at=exc.retry_at, daily_limit=exc.daily_limit)
    except ProviderUnavailable as exc:
        return Outcome("retry", message=exc.message, retry_at=exc.retry_at,
                       maybe_sent=exc.maybe_sent, provider_down=True)
    except AuthError as exc:
        return Outcome("retry", message=exc.message, provider_down=True)
    except Rejected as exc:
        return Outcome("failed", message=exc.message)
    except ProviderError as exc:  # an answer we could not read: the create may have happened
        return Outcome("retry", message=exc.message, maybe_sent=True, provider_down=True)
    except ValueError as exc:  # the request itself is unusable, e.g. a bad pasted link
        return Outcome("failed", message=str(exc))
    except Exception:  # noqa: BLE001 - one bad session must not stop the worker
        log.exception("Unexpected error syncing session %s", job.session_id)
        return Outcome("retry", maybe_sent=True,
                       message="Something went wrong talking to the provider; we will try again.")


def _call(provider: MeetingProvider, job: Job) -> Outcome:
    if job.action == SyncAction.CREATE.value:
        meeting = provider.find_existing(job.request) if job.maybe_sent else None
        if meeting is not None:
            log.info("Session %s: adopted the meeting an earlier create made", job.session_id)
        return Outcome("done", meeting=meeting or provider.create(job.request))
    if job.action == SyncAction.UPDATE.value:
        provider.update(job.meeting_id or "", job.request)
        return Outcome("done")
    meeting_id = job.meeting_id
    if meeting_id is None and job.maybe_sent:
        found = provider.find_existing(job.request)
        meeting_id = found.meeting_id if found else None
    if meeting_id:
        provider.delete(meeting_id)
    return Outcome("done")


# Record --------------------------------------------------------------------------------------

def record(job: Job, outcome: Outcome, now: datetime) -> None:
    """Store what the provider said (the caller commits)."""
    query = select(MS).where(MS.id == job.session_id).execution_options(populate_existing=True)
    session = db.session.scalar(query.with_for_update())
    if session is None:
        return
    values: dict[str, Any] = {"lease_until": None}
    changed = session.version != job.version
    if job.action == SyncAction.CREATE.value:
        values["create_maybe_sent"] = job.maybe_sent or outcome.maybe_sent
    held = gate.settle(job, outcome, now)
    if outcome.kind == "done":
        values.update(_done_values(job, outcome, session, changed, now))
    elif outcome.kind == "retry":
        values.update(_retry_values(outcome, session, held, now))
    else:
        values.update(_failed_values(outcome, changed, now))
    db.session.execute(update(MS).where(MS.id == session.id).values(**values)
                       .execution_options(synchronize_session=False))
    log.info("Session %s: %s %s", session.id, job.action, outcome.kind)


def _done_values(job: Job, outcome: Outcome, session: MeetingSession, changed: bool,
                 now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"sync_error": None, "sync_attempts": 0}
    if outcome.meeting is not None:
        meeting = outcome.meeting  # its host_url (Zoom's start_url) is a credential: never stored
        values.update(provider_meeting_id=meeting.meeting_id, join_url=meeting.join_url,
                      passcode=meeting.passcode, dial_in=meeting.dial_in, create_maybe_sent=False)
    if job.action == SyncAction.DELETE.value or not changed:
        values.update(sync_action=SyncAction.NONE.value, sync_state=SyncState.SYNCED.value,
                      next_sync_at=None)
    else:  # edited while we were calling: send the newer state too
        action = SyncAction.DELETE if session.is_cancelled else SyncAction.UPDATE
        values.update(sync_action=action.value, sync_state=SyncState.PENDING.value, next_sync_at=now)
    return values


def _retry_values(outcome: Outcome, session: MeetingSession, held: gate.Hold | None,
                  now: datetime) -> dict[str, Any]:
    message = outcome.message
    retry_at = outcome.retry_at or now + backoff().delay(session.sync_attempts)
    if held is not None:  # the host's daily cap: queued until it starts again
        retry_at, message = max(retry_at, held.until), held.message
    return {"sync_state": SyncState.PENDING.value, "next_sync_at": retry_at,
            "sync_error": _with_retry_time(message, retry_at, session)}


def _failed_values(outcome: Outcome, changed: bool, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {"sync_error": outcome.message}
    if outcome.meeting_gone:
        values.update(provider_meeting_id=None, sync_action=SyncAction.CREATE.value,
                      create_maybe_sent=False)
    if changed:  # a newer change may well go through: try it
        values.update(sync_state=SyncState.PENDING.value, next_sync_at=now)
    else:
        values.update(sync_state=SyncState.FAILED.value, next_sync_at=None)
    return values


def _with_retry_time(message: str | None, retry_at: datetime, session: MeetingSession) -> str:
    if message and "queued" in message:
        return message
    local = as_local(retry_at, session.timezone)
    return f"{message or 'The provider did not answer.'} We will try again at {local:%H:%M on %-d %B}."


# CLI -----------------------------------------------------------------------------------------

@click.command("sync")
@click.option("--limit", default=500, show_default=True, help="Most sessions to handle in this run.")
@click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=30, show_default=True, help="Seconds between passes with --loop.")
def sync_command(limit: int, loop: bool, interval: int) -> None:
    """Send pending session creates, updates and deletes to Zoom / Teams (cron, or --loop)."""
    def one_pass() -> None:
        report = drain(limit)
        db.session.remove()
        click.echo(f"Sync: {report}.")

    queue.run_passes(one_pass, loop=loop, interval=interval)
