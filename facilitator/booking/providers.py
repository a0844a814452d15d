"""The app's side of the meeting providers: built once from configuration, sharing one token
store (in the database, so every process uses the same token), with the state the sync keeps per
provider in the database too: a circuit breaker and a per-host daily budget of calls.

This is the one module that knows provider-specific facts beyond ``integrations`` (which
provider needs a pasted link, which has a per-host daily cap); services and the sync ask it.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.models import ProviderCircuit, ProviderHostBudget, ProviderToken, User, utcnow
from integrations.providers.base import MeetingProvider
from integrations.providers.registry import LABELS, REQUIRED_KEYS, build_providers

log = logging.getLogger(__name__)

EXTENSION = "facilitator.providers"


@dataclass(frozen=True)
class HostRule:
    """A provider whose meetings belong to a host user, with a daily cap of calls per host."""

    user_attribute: str  # the User column mapping a facilitator to their own host
    default_key: str  # the config key of the default host
    limit_key: str  # the config key of the daily cap per host


HOST_RULES: dict[str, HostRule] = {
    "zoom": HostRule("zoom_host_user", "ZOOM_HOST_USER", "ZOOM_DAILY_LIMIT_PER_HOST"),
}
# Providers that hold no meeting of their own: the facilitator pastes the join link.
PASTED_LINK_PROVIDERS = frozenset({"link"})


class DatabaseTokenStore:
    """A :class:`integrations.tokens.TokenStore` in the ``provider_tokens`` table.

    Tokens are encrypted with a key derived from ``SECRET_KEY`` (a new key just means fetching a
    new token) and never logged. A copy is kept in memory for as long as it is valid, so a
    process reads the database only when it has no usable token of its own. Each read and
    write is its own short transaction on its own connection: call providers only while the
    request's own transaction is closed (on SQLite it would hold the write lock).
    """

    def __init__(self, secret_key: str, clock: Callable[[], datetime] = utcnow) -> None:
        digest = hashlib.sha256(b"facilitator provider tokens\0" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))
        self._memory: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def __repr__(self) -> str:
        return "<DatabaseTokenStore>"

    def get(self, key: str) -> tuple[str, datetime] | None:
        with self._lock:
            cached = self._memory.get(key)
        if cached and cached[1] > self._clock():
            return cached
        with db.engine.connect() as conn:
            row = conn.execute(
                select(ProviderToken.token, ProviderToken.expires_at).where(ProviderToken.key == key)
            ).first()
            conn.rollback()
        if row is None:
            return None
        try:
            token = self._fernet.decrypt(row.token.encode()).decode()
        except InvalidToken:
            return None  # stored under another SECRET_KEY: fetch a new one
        with self._lock:
            self._memory[key] = (token, row.expires_at)
        return token, row.expires_at

    def set(self, key: str, token: str, expires_at: datetime) -> None:
        with self._lock:
            self._memory[key] = (token, expires_at)
        values = {"token": self._fernet.encrypt(token.encode()).decode(), "expires_at": expires_at,
                  "updated_at": utcnow()}
        for _ in range(2):
            try:
                with db.engine.begin() as conn:
                    done = conn.execute(update(ProviderToken).where(ProviderToken.key == key)
                                        .values(**values)).rowcount
                    if not done:
                        conn.execute(insert(ProviderToken).values(key=key, **values))
                return
            except IntegrityError:
                continue  # another process inserted it first: update theirs
        log.warning("Could not store the provider token for sharing; this process keeps its own")


class ProviderHub:
    """Every connected provider, built once per app, plus what the app knows about providers.

    ``sleep`` is what every provider call waits with (tests replace it so nobody waits).
    ``clock`` is the app's time for booking and sync decisions (``FROZEN_NOW`` pins it); the
    providers' own clients keep the real clock, which their token expiry is measured against.
    """

    def __init__(self, config: Any, session: requests.Session | None = None) -> None:
        self.config = config
        self.sleep: Callable[[float], None] = time.sleep
        self.clock: Callable[[], datetime] = now_utc
        self.token_store = DatabaseTokenStore(str(config["SECRET_KEY"]))
        self.providers: dict[str, MeetingProvider] = build_providers(
            config, token_store=self.token_store, session=session or requests.Session())
        for provider in self.providers.values():
            http = getattr(provider, "http", None)
            if http is not None:
                http.sleep = lambda seconds: self.sleep(seconds)

    # What can be chosen ---------------------------------------------------------------------

    def get(self, name: str) -> MeetingProvider | None:
        return self.providers.get(name)

    def is_known(self, name: str) -> bool:
        return name in REQUIRED_KEYS

    def is_connected(self, name: str) -> bool:
        return name in self.providers

    def label(self, name: str) -> str:
        return LABELS.get(name, name)

    def names(self) -> list[str]:
        return list(REQUIRED_KEYS)

    def missing_keys(self, name: str) -> list[str]:
        """The configuration keys a provider still needs (names only, never values)."""
        return [key for key in REQUIRED_KEYS.get(name, ()) if not str(self.config.get(key) or "").strip()]

    def needs_join_url(self, name: str) -> bool:
        return name in PASTED_LINK_PROVIDERS

    # Hosts and their daily budget -------------------------------------------------------------

    def host_for(self, name: str, users: Iterable[User | None]) -> str | None:
        """The first of ``users`` mapped to their own host on this provider; None: the default."""
        rule = HOST_RULES.get(name)
        if rule is None:
            return None
        for user in users:
            host = getattr(user, rule.user_attribute, None) if user is not None else None
            if host and host.strip():
                return host.strip()
        return None

    def budget_host(self, name: str, host: str | None) -> str | None:
        """The host whose daily cap a call counts against, or None if the provider has no cap."""
        rule = HOST_RULES.get(name)
        if rule is None or not self.daily_limit(name):
            return None
        return (host or str(self.config.get(rule.default_key) or "")).strip().lower() or None

    def daily_limit(self, name: str) -> int | None:
        rule = HOST_RULES.get(name)
        if rule is None:
            return None
        return int(self.config.get(rule.limit_key) or 0) or None


# Whole numbers the sync needs, with the smallest value that makes sense.
NUMBER_KEYS = {"ZOOM_DAILY_LIMIT_PER_HOST": 0, "SYNC_INLINE_LIMIT": 0, "SYNC_LEASE_SECONDS": 30,
               "SYNC_BACKOFF_SECONDS": 1, "SYNC_BACKOFF_MAX_SECONDS": 1, "CIRCUIT_FAILURE_THRESHOLD": 1,
               "CIRCUIT_OPEN_SECONDS": 1}


def init_app(app: Flask) -> None:
    """Check the sync settings and build the providers (a bad Zoom host fails here, at start)."""
    for key, minimum in NUMBER_KEYS.items():
        value = app.config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError(f"{key} must be a whole number of at least {minimum}, not {value!r}")
    app.extensions[EXTENSION] = ProviderHub(app.config)


def hub() -> ProviderHub:
    return current_app.extensions[EXTENSION]


# Circuit breaker ----------------------------------------------------------------------------

def _ensure_row(model: type, **key: Any) -> None:
    if db.session.get(model, tuple(key.values()) if len(key) > 1 else next(iter(key.values()))):
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(model).values(**key))
    except IntegrityError:
        pass  # another worker made it


def circuit_open_until(name: str, now: datetime) -> datetime | None:
    open_until = db.session.scalar(select(ProviderCircuit.open_until)
                                   .where(ProviderCircuit.provider == name))
    return open_until if open_until and open_until > now else None


def open_circuits(now: datetime) -> dict[str, datetime]:
    """Providers being left alone right now, and until when."""
    rows = db.session.execute(select(ProviderCircuit.provider, ProviderCircuit.open_until)
                              .where(ProviderCircuit.open_until > now))
    return {row.provider: row.open_until for row in rows}


def record_failure(name: str, now: datetime, message: str) -> datetime | None:
    """Count a failure; returns until when the provider is left alone if this opened the circuit."""
    config = current_app.config
    _ensure_row(ProviderCircuit, provider=name)
    db.session.execute(update(ProviderCircuit).where(ProviderCircuit.provider == name)
                       .values(failures=ProviderCircuit.failures + 1, last_error=message[:2000])
                       .execution_options(synchronize_session=False))
    failures = db.session.scalar(select(ProviderCircuit.failures).where(ProviderCircuit.provider == name))
    if failures < int(config["CIRCUIT_FAILURE_THRESHOLD"]):
        return None
    open_until = now + timedelta(seconds=int(config["CIRCUIT_OPEN_SECONDS"]))
    db.session.execute(update(ProviderCircuit).where(ProviderCircuit.provider == name)
                       .values(open_until=open_until).execution_options(synchronize_session=False))
    log.warning("%s failed %s times in a row: leaving it alone until %s", name, failures, open_until)
    return open_until


def record_success(name: str) -> None:
    db.session.execute(update(ProviderCircuit)
                       .where(ProviderCircuit.provider == name, ProviderCircuit.failures > 0)
                       .values(failures=0, open_until=None, last_error=None)
                       .execution_options(synchronize_session=False))


# Per-host daily budget ----------------------------------------------------------------------

def budget_day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def next_budget_day(now: datetime) -> datetime:
    """Midnight UTC after ``now``: when the providers' daily caps start again."""
    return datetime.combine(budget_day(now) + timedelta(days=1), datetime.min.time(), tzinfo=UTC)


def reserve_call(name: str, host: str, now: datetime, limit: int) -> bool:
    """Take one call from today's budget of ``host``; False when it is used up."""
    day = budget_day(now)
    _ensure_row(ProviderHostBudget, provider=name, host=host, day=day)
    taken = db.session.execute(
        update(ProviderHostBudget)
        .where(ProviderHostBudget.provider == name, ProviderHostBudget.host == host,
               ProviderHostBudget.day == day, ProviderHostBudget.used < limit)
        .values(used=ProviderHostBudget.used + 1)
        .execution_options(synchronize_session=False)).rowcount
    return taken == 1


def exhaust_budget(name: str, host: str, now: datetime, limit: int) -> None:
    """The provider says the cap is reached (other apps may call it too): stop for today."""
    day = budget_day(now)
    _ensure_row(ProviderHostBudget, provider=name, host=host, day=day)
    db.session.execute(
        update(ProviderHostBudget)
        .where(ProviderHostBudget.provider == name, ProviderHostBudget.host == host,
               ProviderHostBudget.day == day, ProviderHostBudget.used < limit)
        .values(used=limit).execution_options(synchronize_session=False))


def budget_used(name: str, host: str, now: datetime) -> int:
    return db.session.scalar(select(ProviderHostBudget.used).where(
        ProviderHostBudget.provider == name, ProviderHostBudget.host == host,
        ProviderHostBudget.day == budget_day(now))) or 0
