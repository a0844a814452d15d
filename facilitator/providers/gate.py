"""What every provider call passes through: a circuit breaker per provider and a daily budget per
provider host, both in the database so every process shares them.

Two calls make the whole of it. ``admit(session, now)`` says whether a session's change may go to
its provider now (taking a call from its host's daily budget when it counts), or until when it
must wait and why; ``settle(job, outcome, now)`` records what the provider's answer means for
the circuit and the budget. Both write in the caller's transaction; the caller commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from facilitator.clock import as_local
from facilitator.extensions import db
from facilitator.models import MeetingSession, ProviderCircuit, ProviderHostBudget, SyncAction
from facilitator.providers import hub

log = logging.getLogger(__name__)

# Only these count against a host's daily cap (Zoom counts meeting creates and updates).
COUNTED = frozenset({SyncAction.CREATE.value, SyncAction.UPDATE.value})


@dataclass(frozen=True)
class Hold:
    """Not now: wait until ``until``; ``message`` says why, in words for the session's page."""

    until: datetime
    message: str


class Call(Protocol):
    """What ``settle`` needs of a provider call that was made (``booking.sync.Job`` is one)."""

    provider: str
    host: str | None
    timezone: str


class Answer(Protocol):
    """What ``settle`` needs of the provider's answer (``booking.sync.Outcome`` is one)."""

    kind: str
    message: str | None
    provider_down: bool
    daily_limit: bool
    retry_at: datetime | None


def admit(session: MeetingSession, now: datetime) -> Hold | None:
    """May the session's pending change go to its provider now? None: yes (a counted call is
    taken from the host's daily budget); otherwise until when it waits, and why."""
    label = hub().label(session.provider)
    if not hub().is_connected(session.provider):
        later = now + timedelta(seconds=current_app.config["SYNC_BACKOFF_MAX_SECONDS"])
        return Hold(later, f"{label} is not connected, so the meeting cannot be made yet. An "
                           "administrator needs to add its keys; we keep trying every hour.")
    held = paused(session.provider, now)
    if held is not None:
        return held
    if session.sync_action not in COUNTED:
        return None
    host, limit = _budget(session.provider, session.provider_host)
    if host is None or limit is None or _reserve_call(session.provider, host, now, limit):
        return None
    return Hold(next_budget_day(now), _budget_message(session.provider, host, limit, now, session.timezone))


def paused(provider: str, now: datetime) -> Hold | None:
    """The circuit breaker alone: is the provider being left alone right now?"""
    open_until = db.session.scalar(select(ProviderCircuit.open_until)
                                   .where(ProviderCircuit.provider == provider))
    if not open_until or open_until <= now:
        return None
    label = hub().label(provider)
    return Hold(open_until, f"{label} is not answering at the moment. The meeting will be sent to "
                            f"{label} when it answers again.")


def settle(call: Call, answer: Answer, now: datetime) -> Hold | None:
    """Record the answer: it was up (done, refused) or down (counts towards opening the circuit).
    When the host's daily cap is reached, stop its calls for today: the Hold says from when the
    call may be tried again (midnight UTC at the earliest) and why."""
    if answer.kind != "retry":
        _record_success(call.provider)
        return None
    if answer.provider_down:
        _record_failure(call.provider, now, answer.message or "")
    host, limit = _budget(call.provider, call.host)
    # The cap is reached: the provider says so, or asks us to wait for hours.
    daily = answer.daily_limit or (answer.retry_at is not None and answer.retry_at - now > timedelta(hours=1))
    if not (daily and host and limit):
        return None
    _exhaust_budget(call.provider, host, now, limit)
    return Hold(next_budget_day(now), _budget_message(call.provider, host, limit, now, call.timezone))


def open_circuits(now: datetime) -> dict[str, datetime]:
    """Providers being left alone right now, and until when."""
    rows = db.session.execute(select(ProviderCircuit.provider, ProviderCircuit.open_until)
                              .where(ProviderCircuit.open_until > now))
    return {row.provider: row.open_until for row in rows}


def next_budget_day(now: datetime) -> datetime:
    """Midnight UTC after ``now``: when the providers' daily caps start again."""
    return datetime.combine(_budget_day(now) + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


# The circuit breaker ---------------------------------------------------------------------------

def _record_failure(provider: str, now: datetime, message: str) -> None:
    """Count a failure in a row; at the threshold, leave the provider alone for a while."""
    config = current_app.config
    _ensure_row(ProviderCircuit, provider=provider)
    db.session.execute(update(ProviderCircuit).where(ProviderCircuit.provider == provider)
                       .values(failures=ProviderCircuit.failures + 1, last_error=message[:2000])
                       .execution_options(synchronize_session=False))
    failures = db.session.scalar(select(ProviderCircuit.failures).where(ProviderCircuit.provider == provider))
    if failures < int(config["CIRCUIT_FAILURE_THRESHOLD"]):
        return
    open_until = now + timedelta(seconds=int(config["CIRCUIT_OPEN_SECONDS"]))
    db.session.execute(update(ProviderCircuit).where(ProviderCircuit.provider == provider)
                       .values(open_until=open_until).execution_options(synchronize_session=False))
    log.warning("%s failed %s times in a row: leaving it alone until %s", provider, failures, open_until)


def _record_success(provider: str) -> None:
    db.session.execute(update(ProviderCircuit)
                       .where(ProviderCircuit.provider == provider, ProviderCircuit.failures > 0)
                       .values(failures=0, open_until=None, last_error=None)
                       .execution_options(synchronize_session=False))


# The per-host daily budget ---------------------------------------------------------------------

def _budget(provider: str, host: str | None) -> tuple[str | None, int | None]:
    providers = hub()
    return providers.budget_host(provider, host), providers.daily_limit(provider)


def _budget_day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def _reserve_call(provider: str, host: str, now: datetime, limit: int) -> bool:
    """Take one call from today's budget of ``host``; False when it is used up."""
    day = _budget_day(now)
    _ensure_row(ProviderHostBudget, provider=provider, host=host, day=day)
    taken = db.session.execute(
        update(ProviderHostBudget)
        .where(ProviderHostBudget.provider == provider, ProviderHostBudget.host == host,
               ProviderHostBudget.day == day, ProviderHostBudget.used < limit)
        .values(used=ProviderHostBudget.used + 1)
        .execution_options(synchronize_session=False)).rowcount
    return taken == 1


def _exhaust_budget(provider: str, host: str, now: datetime, limit: int) -> None:
    """The provider says the cap is reached (other apps may call it too): stop for today."""
    day = _budget_day(now)
    _ensure_row(ProviderHostBudget, provider=provider, host=host, day=day)
    db.session.execute(
        update(ProviderHostBudget)
        .where(ProviderHostBudget.provider == provider, ProviderHostBudget.host == host,
               ProviderHostBudget.day == day, ProviderHostBudget.used < limit)
        .values(used=limit).execution_options(synchronize_session=False))


def _budget_message(provider: str, host: str, limit: int, now: datetime, timezone: str) -> str:
    label = hub().label(provider)
    local = as_local(next_budget_day(now), timezone)
    return (f"{label} allows {limit} meeting changes a day for the host {host}, and today's are used "
            f"up. This session is queued and will be sent to {label} after midnight UTC "
            f"({local:%H:%M on %-d %B} {timezone} time).")


def _ensure_row(model: type, **key: Any) -> None:
    if db.session.get(model, tuple(key.values()) if len(key) > 1 else next(iter(key.values()))):
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(model).values(**key))
    except IntegrityError:
        pass  # another worker made it
