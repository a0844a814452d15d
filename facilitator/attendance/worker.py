"""Runs the attendance imports the queue holds: the Import button, the API, Zoom's
``meeting.ended`` webhook and the sweep for sessions that ended all put a row there.

This module owns its transactions, in the pattern of ``facilitator.queue``: the job is claimed
with a lease (``ATTENDANCE_IMPORT_LEASE_SECONDS``) and committed, the provider is called with no
transaction open (on SQLite an open write transaction would hold every other writer back for as
long as the provider takes), and the result is written in one transaction. A provider failure
writes nothing but the job's retry time.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from facilitator import queue, transaction
from facilitator.attendance import imports
from facilitator.attendance.imports import ImportSummary
from facilitator.attendance.matching import Person, merge_people
from facilitator.clock import now_utc
from facilitator.database import write_intent
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.invites.joins import join_opens
from facilitator.models import MeetingSession, SessionStatus, User
from facilitator.models.attendance import AttendanceImport, ImportState, LiveInterval
from facilitator.providers import hub
from integrations.http import NotFound, ProviderError, ProviderUnavailable, RateLimited
from integrations.providers.base import AttendanceInterval, MeetingProvider, Participant

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    state: str  # done, queued (will be retried) or failed
    message: str
    summary: ImportSummary | None = None
    next_try_at: datetime | None = None


def run_report() -> queue.RunReport:
    return queue.RunReport(("queued", "queued"), ("done", "imported"), ("retrying", "to retry"),
                           ("failed", "failed"))


def backoff() -> queue.Backoff:
    return queue.Backoff.from_config(current_app.config, "ATTENDANCE_IMPORT_BACKOFF_SECONDS",
                                     "ATTENDANCE_IMPORT_BACKOFF_MAX_SECONDS")


@dataclass(frozen=True)
class _Job:
    """What an import needs, read before the provider is called (the transaction is closed then)."""

    job_id: int
    session_id: int
    provider: str
    meeting_id: str
    instance_uuid: str | None  # the instance Zoom's meeting.ended named, if any
    window: tuple[datetime, datetime]  # instances starting in it are this session's
    close_open_at: datetime
    overwrite_manual: bool
    requested_by_id: int | None
    live: tuple[Participant, ...]


class NotConnected(ProviderError):
    """No credentials are configured for the session's provider."""


def request_import(session: MeetingSession, *, user: User | None, overwrite_manual: bool = False,
                   now: datetime | None = None) -> transaction.Job:
    """Queue the session's import and run it once the request commits (one attempt; the worker
    retries). The returned job's ``result`` is then the :class:`Outcome`."""
    now = now or now_utc()
    job = imports.queue_import(session, now=now, requested_by=user, overwrite_manual=overwrite_manual)
    return transaction.after_commit(run_import, job.id, now=now)


def import_now(session: MeetingSession, *, user: User | None, overwrite_manual: bool = False,
               now: datetime | None = None) -> Outcome:
    """Queue the session's import, commit, and run it now: the outcome, for the caller to show."""
    job = request_import(session, user=user, overwrite_manual=overwrite_manual, now=now)
    transaction.commit()
    return job.result


def run_import(job_id: int, *, now: datetime | None = None) -> Outcome:
    now = now or now_utc()
    job = _claim(job_id, now)
    if job is None:
        db.session.rollback()
        return Outcome(ImportState.QUEUED.value,
                       "This import is already running. Reload the page in a minute.")
    transaction.commit()
    try:
        people = fetch_people(job)
    except ProviderError as exc:
        return _failed_attempt(job, exc, now)
    except (ValueError, TypeError, KeyError) as exc:  # a report we could not read
        log.warning("Unreadable attendance report for session %s: %r", job.session_id, exc)
        label = hub().label(job.provider)
        return _failed_attempt(job, ProviderUnavailable(f"{label} sent a report we could not read."), now)
    try:
        summary = _apply(job, people, now)
    except DomainError as exc:
        db.session.rollback()
        return _failed_attempt(job, ProviderError(exc.message), now)
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        return _failed_attempt(job, ProviderUnavailable("Someone saved the register at the same time."), now)
    transaction.commit()
    return Outcome(ImportState.DONE.value, summary.describe(), summary)


def _claim(job_id: int, now: datetime) -> _Job | None:
    """Take the job for its lease (a crashed worker's claim runs out) and read what it needs."""
    lease = timedelta(seconds=int(current_app.config["ATTENDANCE_IMPORT_LEASE_SECONDS"]))
    claimed = queue.take(AttendanceImport, job_id, [
        AttendanceImport.state == ImportState.QUEUED, queue.lease_free(AttendanceImport.lease_until, now)],
        {"lease_until": now + lease, "attempts": AttendanceImport.attempts + 1})
    if not claimed:
        return None
    job = db.session.get(AttendanceImport, job_id, populate_existing=True)
    session = job.session
    return _Job(job.id, session.id, session.provider, session.provider_meeting_id or "", job.instance_uuid,
                (join_opens(session), session.ends_at), min(now, session.ends_at), job.overwrite_manual,
                job.requested_by_id, tuple(live_participants(session.id)))


def live_participants(session_id: int) -> list[Participant]:
    """What Zoom's webhooks reported while the meeting ran, as provider rows."""
    rows = db.session.scalars(select(LiveInterval).where(LiveInterval.session_id == session_id)
                              .order_by(LiveInterval.joined_at, LiveInterval.id))
    return [Participant(name=r.name, email=r.email, provider_user_key=r.provider_user_key,
                        intervals=[AttendanceInterval(r.joined_at, r.left_at)]) for r in rows]


def fetch_people(job: _Job) -> list[Person]:
    """Every page of the provider's report of each instance of the session, merged by person (so
    a person's, and then a home's, overlapping time counts once). Nothing is written here.

    Zoom returns nothing for a meeting with one participant, and a provider may not be
    connected at all: then what the webhooks saw live is used, if anything.
    """
    provider = hub().get(job.provider)
    if provider is None:
        if not job.live:
            label = hub().label(job.provider)
            raise NotConnected(f"{label} is not connected, so its report cannot be fetched. An admin can "
                               "connect it under Video providers.")
        rows = list(job.live)
    else:
        rows = session_rows(provider, job) or list(job.live)
    return merge_people(rows, job.close_open_at)


def session_rows(provider: MeetingProvider, job: _Job) -> list[Participant]:
    """The rows of every instance of the meeting that started in the session's window (from its
    join window opening to its end): a meeting ended and started again, say when the host
    dropped, has one instance per part. The instance ``meeting.ended`` named counts too, even if
    the provider does not list it yet. None yet is NotFound: the report comes a little later."""
    opens, ends = job.window
    refs = [instance.ref for instance in provider.past_instances(job.meeting_id)
            if instance.started_at is None or opens <= instance.started_at < ends]
    if job.instance_uuid and job.instance_uuid not in refs:
        refs.append(job.instance_uuid)
    if not refs:
        raise NotFound(f"{provider.label} has no record yet of the meeting being held in the session's time.")
    return [row for ref in dict.fromkeys(refs) for row in provider.fetch_attendance(job.meeting_id, ref)]


def _apply(job: _Job, people: list[Person], now: datetime) -> ImportSummary:
    session = db.session.get(MeetingSession, job.session_id)
    user = db.session.get(User, job.requested_by_id) if job.requested_by_id else None
    summary = imports.apply_import(session, people, source=job.provider, now=now,
                                   rules=imports.current_rules(), overwrite_manual=job.overwrite_manual,
                                   user=user)
    db.session.execute(update(AttendanceImport).where(AttendanceImport.id == job.job_id).values(
        state=ImportState.DONE.value, lease_until=None, last_error=None, finished_at=now, next_try_at=None,
        overwrite_manual=False).execution_options(synchronize_session=False))
    return summary


def _failed_attempt(job: _Job, exc: ProviderError, now: datetime) -> Outcome:
    """Write down the failure (nothing else): retry later if it may pass, else stop."""
    config = current_app.config
    attempts = db.session.scalar(
        select(AttendanceImport.attempts).where(AttendanceImport.id == job.job_id)) or 1
    transient = isinstance(exc, ProviderUnavailable | RateLimited | NotFound)
    if isinstance(exc, NotFound):
        message = ("The provider has no attendance report for this meeting yet (it appears shortly "
                   "after the meeting ends).")
    else:
        message = exc.message
    if transient and attempts < int(config["ATTENDANCE_IMPORT_MAX_ATTEMPTS"]):
        retry_at = getattr(exc, "retry_at", None) or now + backoff().delay(attempts)
        values: dict[str, Any] = {"next_try_at": retry_at}
        state = ImportState.QUEUED.value
        text = f"{message} We will try again at {retry_at:%H:%M} UTC."
    else:
        values, state, text = {"finished_at": now}, ImportState.FAILED.value, message
    db.session.execute(update(AttendanceImport).where(AttendanceImport.id == job.job_id).values(
        state=state, lease_until=None, last_error=message[:2000], **values)
        .execution_options(synchronize_session=False))
    transaction.commit()
    log.info("Attendance import of session %s: %s", job.session_id, text)
    return Outcome(state, text, next_try_at=values.get("next_try_at"))


# The sweep -----------------------------------------------------------------------------------

def queue_ended_sessions(now: datetime) -> int:
    """Queue an import for every Zoom or Teams session that ended a little while ago and has
    none yet (the webhook queues Zoom's at once; this catches Teams and missed webhooks)."""
    config = current_app.config
    ended_before = now - timedelta(minutes=int(config["ATTENDANCE_IMPORT_DELAY_MINUTES"]))
    ended_after = now - timedelta(days=int(config["ATTENDANCE_IMPORT_LOOKBACK_DAYS"]))
    sessions = db.session.scalars(
        select(MeetingSession)
        .outerjoin(AttendanceImport, AttendanceImport.session_id == MeetingSession.id)
        .where(AttendanceImport.id.is_(None), MeetingSession.status == SessionStatus.SCHEDULED,
               MeetingSession.provider.in_(hub().importable()),
               MeetingSession.provider_meeting_id.is_not(None),
               MeetingSession.ends_at <= ended_before, MeetingSession.ends_at >= ended_after)).all()
    for session in sessions:
        imports.queue_import(session, now=now)
    transaction.commit()
    return len(sessions)


def due_jobs(now: datetime, limit: int) -> list[int]:
    return queue.pick(
        select(AttendanceImport.id)
        .where(AttendanceImport.state == ImportState.QUEUED, AttendanceImport.next_try_at <= now,
               queue.lease_free(AttendanceImport.lease_until, now))
        .order_by(AttendanceImport.next_try_at, AttendanceImport.id).limit(limit))


OUTCOME_COUNTS = {ImportState.DONE.value: "done", ImportState.QUEUED.value: "retrying"}


def import_due(*, limit: int = 50, now: datetime | None = None) -> queue.RunReport:
    """One pass of the worker: queue what ended, then run what is due."""
    with write_intent():  # every transaction here may write: on SQLite, take the lock up front
        return _import_due(limit, now or now_utc())


def _import_due(limit: int, now: datetime) -> queue.RunReport:
    report = run_report()
    report.add("queued", count=queue_ended_sessions(now))
    ids = due_jobs(now, limit)
    db.session.rollback()
    for job_id in ids:
        outcome = run_import(job_id, now=now)
        report.add(OUTCOME_COUNTS.get(outcome.state, "failed"))
        report.messages.append(f"session import {job_id}: {outcome.message}")
    return report
