"""Bringing pending creates, updates and deletes to the providers, without losing or doubling one.

Each session goes through three short steps, none of which holds a transaction open while a
provider is called:

1. **claim** (one transaction): check the provider's circuit breaker and the host's daily budget,
   then take a lease on the row with an ``UPDATE … WHERE lease is free AND version unchanged``
   checked by its row count (PostgreSQL also picks candidates with ``FOR UPDATE SKIP LOCKED``),
   and mark a create as possibly sent *before* sending it;
2. **perform** (no database): call the provider; after a create that may have reached it, look
   for the meeting first (Zoom lists the host's meetings for our uid marker; Teams' create is
   idempotent by our uid);
3. **record** (one transaction): store the outcome. If someone changed the session meanwhile, the
   newer change stays pending and is sent next. These writes do not touch ``version``, so the
   sync never makes someone's open edit form conflict.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import current_app
from sqlalchemy import case, func, or_, select, update

from facilitator.booking import providers
from facilitator.booking.providers import ProviderHub
from facilitator.database import write_intent
from facilitator.extensions import db
from facilitator.models import MeetingSession, SyncAction, SyncState
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


@dataclass
class RunReport:
    counts: dict[str, int] = field(default_factory=lambda: {"done": 0, "retry": 0, "failed": 0,
                                                            "deferred": 0})

    def add(self, kind: str) -> None:
        self.counts[kind] += 1

    def __str__(self) -> str:
        c = self.counts
        return (f"{c['done']} synced, {c['retry']} to retry, {c['failed']} failed, "
                f"{c['deferred']} waiting (provider paused or daily limit reached)")


# Entry points --------------------------------------------------------------------------------

def push(session_ids: Iterable[int], limit: int | None = None) -> None:
    """Sync a request's new or changed sessions straight away, after its commit.

    Only the first ``SYNC_INLINE_LIMIT`` are sent here so a request stays quick; the worker does
    the rest. Never raises: the booking is saved whatever the provider does.
    """
    hub = providers.hub()
    limit = current_app.config["SYNC_INLINE_LIMIT"] if limit is None else limit
    for session_id in list(session_ids)[:limit]:
        try:
            sync_session(session_id, hub)
        except Exception:  # noqa: BLE001 - the worker will retry; the request must still answer
            db.session.rollback()
            log.exception("Could not sync session %s now; the worker will retry", session_id)


def sync_session(session_id: int, hub: ProviderHub | None = None) -> str | None:
    """Claim, send and record one session if it is due. Returns the outcome's kind."""
    hub = hub or providers.hub()
    with write_intent():
        job = claim(session_id, hub, hub.clock())
        db.session.commit()
        if job is None:
            return None
        outcome = perform(hub.get(job.provider), job)
        record(job, outcome, hub, hub.clock())
        db.session.commit()
    return outcome.kind


def drain(limit: int = 500, hub: ProviderHub | None = None) -> RunReport:
    """Bring every due session to its provider, oldest first, until none is due or ``limit``."""
    hub = hub or providers.hub()
    with write_intent():
        return _drain(limit, hub)


def _drain(limit: int, hub: ProviderHub) -> RunReport:
    report = RunReport()
    handled = 0
    while handled < limit:
        now = hub.clock()
        ids = due_ids(now, min(BATCH_SIZE, limit - handled))
        if not ids:
            db.session.rollback()
            break
        jobs = [job for session_id in ids if (job := _claim_locked(session_id, hub, now, report))]
        db.session.commit()
        handled += len(ids)
        for job in jobs:
            if _paused_meanwhile(job, hub):
                report.add("deferred")
                continue
            outcome = perform(hub.get(job.provider), job)
            record(job, outcome, hub, hub.clock())
            db.session.commit()
            report.add(outcome.kind)
    return report


def _paused_meanwhile(job: Job, hub: ProviderHub) -> bool:
    """If an earlier job of this batch opened the provider's circuit, hand this one back."""
    now = hub.clock()
    open_until = providers.circuit_open_until(job.provider, now)
    if open_until is None:
        db.session.rollback()
        return False
    label = hub.label(job.provider)
    db.session.execute(update(MS).where(MS.id == job.session_id)
                       .values(lease_until=None, next_sync_at=open_until,
                               create_maybe_sent=job.maybe_sent,
                               sync_error=f"{label} is not answering at the moment. The meeting will be "
                                          f"sent to {label} when it answers again.")
                       .execution_options(synchronize_session=False))
    db.session.commit()
    return True


# Claim ---------------------------------------------------------------------------------------

def _due(now: datetime) -> list[Any]:
    return [MS.sync_state == SyncState.PENDING.value, MS.sync_action != SyncAction.NONE.value,
            or_(MS.next_sync_at.is_(None), MS.next_sync_at <= now),
            or_(MS.lease_until.is_(None), MS.lease_until < now)]


def due_ids(now: datetime, limit: int) -> list[int]:
    """Due sessions, the longest waiting first. On PostgreSQL rows another worker is claiming
    are skipped, not waited for."""
    query = (select(MS.id).where(*_due(now))
             .order_by(func.coalesce(MS.next_sync_at, MS.created_at), MS.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def claim(session_id: int, hub: ProviderHub, now: datetime) -> Job | None:
    """Claim one session (the caller commits)."""
    query = select(MS).where(MS.id == session_id, *_due(now)).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    if db.session.scalar(query) is None:
        return None
    return _claim_locked(session_id, hub, now, RunReport())


def _claim_locked(session_id: int, hub: ProviderHub, now: datetime, report: RunReport) -> Job | None:
    session = db.session.get(MS, session_id, populate_existing=True)
    if session is None:
        return None
    provider = hub.get(session.provider)
    label = hub.label(session.provider)
    if provider is None:
        later = now + timedelta(seconds=current_app.config["SYNC_BACKOFF_MAX_SECONDS"])
        _defer(session, later, f"{label} is not connected, so the meeting cannot be made yet. An "
                               "administrator needs to add its keys; we keep trying every hour.")
        report.add("deferred")
        return None
    open_until = providers.circuit_open_until(session.provider, now)
    if open_until is not None:
        _defer(session, open_until, f"{label} is not answering at the moment. The meeting will be "
                                    f"sent to {label} when it answers again.")
        report.add("deferred")
        return None
    if not _reserve_budget(session, hub, now):
        report.add("deferred")
        return None
    taken = db.session.execute(
        update(MS).where(MS.id == session.id, MS.version == session.version,
                         MS.sync_action == session.sync_action, *_due(now))
        .values(lease_until=now + timedelta(seconds=current_app.config["SYNC_LEASE_SECONDS"]),
                sync_attempts=MS.sync_attempts + 1,
                create_maybe_sent=case((MS.sync_action == SyncAction.CREATE.value, True),
                                       else_=MS.create_maybe_sent))
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        return None  # another worker or an edit got there first; the budget call is not spent
    # ``session`` still holds the values from before the update: was a create perhaps sent before?
    return Job(session.id, session.version, session.sync_action, session.provider,
               session.provider_meeting_id, bool(session.create_maybe_sent), meeting_request(session))


def _reserve_budget(session: MeetingSession, hub: ProviderHub, now: datetime) -> bool:
    """Count the call against the host's daily cap, or queue the session for tomorrow."""
    host = hub.budget_host(session.provider, session.provider_host)
    limit = hub.daily_limit(session.provider)
    counted = session.sync_action in (SyncAction.CREATE.value, SyncAction.UPDATE.value)
    if not counted or host is None or limit is None:
        return True
    if providers.reserve_call(session.provider, host, now, limit):
        return True
    _defer(session, providers.next_budget_day(now), _budget_message(hub, session, host, limit, now))
    return False


def _budget_message(hub: ProviderHub, session: MeetingSession, host: str, limit: int,
                    now: datetime) -> str:
    label = hub.label(session.provider)
    resume = providers.next_budget_day(now)
    local = resume.astimezone(_zone(session))
    return (f"{label} allows {limit} meeting changes a day for the host {host}, and today's are used "
            f"up. This session is queued and will be sent to {label} after midnight UTC "
            f"({local:%H:%M on %-d %B} {session.timezone} time).")


def _defer(session: MeetingSession, until: datetime, message: str) -> None:
    db.session.execute(update(MS).where(MS.id == session.id)
                       .values(next_sync_at=until, sync_error=message)
                       .execution_options(synchronize_session=False))


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
    except RateLimited as exc:
        daily = "daily" in (exc.detail or "").lower()  # Zoom: "exceeded the daily rate limit"
        return Outcome("retry", message=exc.message, retry_at=exc.retry_at, daily_limit=daily)
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

def record(job: Job, outcome: Outcome, hub: ProviderHub, now: datetime) -> None:
    """Store what the provider said (the caller commits)."""
    query = select(MS).where(MS.id == job.session_id).execution_options(populate_existing=True)
    session = db.session.scalar(query.with_for_update())
    if session is None:
        return
    values: dict[str, Any] = {"lease_until": None}
    changed = session.version != job.version
    if job.action == SyncAction.CREATE.value:
        values["create_maybe_sent"] = job.maybe_sent or outcome.maybe_sent
    if outcome.kind == "done":
        providers.record_success(job.provider)
        values.update(_done_values(job, outcome, session, changed, now))
    elif outcome.kind == "retry":
        values.update(_retry_values(job, outcome, session, hub, now))
    else:
        providers.record_success(job.provider)  # it answered, so it is up
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


def _retry_values(job: Job, outcome: Outcome, session: MeetingSession, hub: ProviderHub,
                  now: datetime) -> dict[str, Any]:
    message = outcome.message
    retry_at = outcome.retry_at or now + backoff(session.sync_attempts)
    if outcome.provider_down:
        providers.record_failure(job.provider, now, message or "")
    host = hub.budget_host(job.provider, session.provider_host)
    limit = hub.daily_limit(job.provider)
    # Zoom's per-host daily cap: its message says so, or it asks us to wait for hours.
    daily = outcome.daily_limit or (outcome.retry_at is not None
                                    and outcome.retry_at - now > timedelta(hours=1))
    if daily and host and limit:
        providers.exhaust_budget(job.provider, host, now, limit)
        retry_at = max(retry_at, providers.next_budget_day(now))
        message = _budget_message(hub, session, host, limit, now)
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
    local = retry_at.astimezone(_zone(session))
    return f"{message or 'The provider did not answer.'} We will try again at {local:%H:%M on %-d %B}."


def backoff(attempts: int) -> timedelta:
    """Exponential, with jitter so many sessions that failed together do not retry together."""
    config = current_app.config
    base, cap = float(config["SYNC_BACKOFF_SECONDS"]), float(config["SYNC_BACKOFF_MAX_SECONDS"])
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * random.uniform(1.0, 1.25))


def _zone(session: MeetingSession) -> ZoneInfo:
    return ZoneInfo(session.timezone)


# CLI -----------------------------------------------------------------------------------------

@click.command("sync")
@click.option("--limit", default=500, show_default=True, help="Most sessions to handle in this run.")
def sync_command(limit: int) -> None:
    """Send pending session creates, updates and deletes to Zoom / Teams (run from cron)."""
    report = drain(limit)
    click.echo(f"Sync: {report}.")
