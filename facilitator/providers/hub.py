"""The app's side of the meeting providers: every connected one, built once from configuration,
sharing one token store in the database (so every process uses the same token).

The hub is what the rest of the app asks about providers. Its answers come from the provider
classes in ``integrations.providers.registry``; nothing else in the app names a provider.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import requests
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from facilitator.clock import system_now
from facilitator.extensions import db
from facilitator.models import ProviderToken, User
from integrations.providers.base import MeetingProvider
from integrations.providers.registry import BY_NAME, NAMES, build_providers

log = logging.getLogger(__name__)


class DatabaseTokenStore:
    """A :class:`integrations.tokens.TokenStore` in the ``provider_tokens`` table.

    Tokens are encrypted with a key derived from ``SECRET_KEY`` (a new key just means fetching a
    new token) and never logged. A copy is kept in memory for as long as it is valid, so a
    process reads the database only when it has no usable token of its own. Each read and
    write is its own short transaction on its own connection: call providers only while the
    request's own transaction is closed (on SQLite it would hold the write lock). Expiry is
    measured on the machine's clock, as the providers' clients measure it.
    """

    def __init__(self, secret_key: str, clock: Callable[[], datetime] = system_now) -> None:
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
                  "updated_at": self._clock()}
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

    def forget(self) -> None:
        """Drop the copies kept in memory (the database's stay)."""
        with self._lock:
            self._memory.clear()


class ProviderHub:
    """Every connected provider, built once per app, and what the app knows about providers.

    ``sleep`` is what every provider call waits with (tests replace it so nobody waits).
    """

    def __init__(self, config: Any, session: requests.Session | None = None) -> None:
        self.config = config
        self.sleep: Callable[[float], None] = time.sleep
        self.token_store = DatabaseTokenStore(str(config["SECRET_KEY"]))
        self.providers: dict[str, MeetingProvider] = build_providers(
            config, token_store=self.token_store, session=session or requests.Session())
        for provider in self.providers.values():
            http = getattr(provider, "http", None)
            if http is not None:
                http.sleep = lambda seconds: self.sleep(seconds)

    # What can be chosen ---------------------------------------------------------------------

    def get(self, name: str) -> MeetingProvider | None:
        """The connected provider called ``name``, or None."""
        return self.providers.get(name)

    def names(self) -> list[str]:
        return list(NAMES)

    def is_known(self, name: str) -> bool:
        return name in BY_NAME

    def is_connected(self, name: str) -> bool:
        return name in self.providers

    def connected(self) -> list[str]:
        return [name for name in NAMES if name in self.providers]

    def missing_keys(self, name: str) -> list[str]:
        """The configuration keys a provider still needs (names only, never values)."""
        cls = BY_NAME.get(name)
        keys = cls.required_keys if cls else ()
        return [key for key in keys if not str(self.config.get(key) or "").strip()]

    # Facts -----------------------------------------------------------------------------------

    def _fact(self, name: str, fact: str, default: Any) -> Any:
        cls = BY_NAME.get(name)
        return getattr(cls, fact) if cls is not None else default

    def label(self, name: str) -> str:
        return self._fact(name, "label", name)

    def needs_join_url(self, name: str) -> bool:
        return self._fact(name, "needs_join_url", False)

    def imports_attendance(self, name: str) -> bool:
        return self._fact(name, "imports_attendance", False)

    def importable(self) -> list[str]:
        """The providers whose attendance reports can be imported."""
        return [name for name in NAMES if BY_NAME[name].imports_attendance]

    def join_target(self, name: str) -> str:
        return self._fact(name, "join_target", "the meeting")

    def join_hint(self, name: str) -> str:
        return self._fact(name, "join_hint", MeetingProvider.join_hint)

    def test_meeting_url(self, name: str) -> str | None:
        """Where "Test this iPad" leads for a group on this provider (None: nowhere)."""
        return self._fact(name, "test_meeting_url", None)

    def device_check_uses_meeting(self, name: str) -> bool:
        """Whether "Test this iPad" opens the pre-join screen of the home's next session instead."""
        return self._fact(name, "device_check_uses_meeting", False)

    def device_check_hint(self, name: str) -> str | None:
        """What the button opens, in the provider's words, when it is not its own test meeting."""
        return self._fact(name, "device_check_hint", None)

    # Hosts and their daily cap ----------------------------------------------------------------

    def host_for(self, name: str, users: Iterable[User | None]) -> str | None:
        """The first of ``users`` mapped to their own host on this provider; None: the default."""
        attribute = self._fact(name, "host_user_attribute", None)
        if attribute is None:
            return None
        for user in users:
            host = getattr(user, attribute, None) if user is not None else None
            if host and host.strip():
                return host.strip()
        return None

    def budget_host(self, name: str, host: str | None) -> str | None:
        """The host whose daily cap a call counts against, or None if the provider has no cap."""
        default_key = self._fact(name, "default_host_key", None)
        if default_key is None or not self.daily_limit(name):
            return None
        return (host or str(self.config.get(default_key) or "")).strip().lower() or None

    def daily_limit(self, name: str) -> int | None:
        key = self._fact(name, "daily_limit_key", None)
        if key is None:
            return None
        return int(self.config.get(key) or 0) or None
