"""Access-token caching shared by the providers.

Zoom allows only a limited number of live tokens per app and used to revoke the previous token
on every fetch, so every worker must share one cached token per credential set and only one of
them may fetch a new one at a time. The app supplies a database-backed :class:`TokenStore` to
share tokens across processes; :class:`MemoryTokenStore` serves one process and the tests.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests

from integrations.http import AuthError, Clock, JsonHttpClient, utc_now

RENEW_BEFORE = timedelta(seconds=60)

TokenFetcher = Callable[[], tuple[str, datetime]]


class TokenStore(Protocol):
    def get(self, key: str) -> tuple[str, datetime] | None:
        """The token stored under ``key`` and its aware UTC expiry, or None."""

    def set(self, key: str, token: str, expires_at: datetime) -> None:
        """Store (replace) the token for ``key``."""


class MemoryTokenStore:
    """A thread-safe in-process :class:`TokenStore`."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, datetime] | None:
        with self._lock:
            return self._tokens.get(key)

    def set(self, key: str, token: str, expires_at: datetime) -> None:
        with self._lock:
            self._tokens[key] = (token, expires_at)


def token_key(kind: str, base_url: str, account: str, client_id: str, secret: str) -> str:
    """A cache key for one credential set; a new secret gives a new key, so old tokens die.

    The secret itself never appears in the key (it may be stored in the database).
    """
    secret_hash = hashlib.sha256(secret.encode()).hexdigest()
    material = "\n".join((base_url.rstrip("/"), account, client_id, secret_hash))
    return f"{kind}:{hashlib.sha256(material.encode()).hexdigest()}"


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    """One lock per key for the whole process, so providers built twice still single-flight."""
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


class CachedToken:
    """The bearer token for one credential set: cached, renewed early, fetched single-flight."""

    def __init__(
        self,
        store: TokenStore,
        key: str,
        fetch: TokenFetcher,
        *,
        clock: Clock = utc_now,
        renew_before: timedelta = RENEW_BEFORE,
    ) -> None:
        self.store = store
        self.key = key
        self._fetch = fetch
        self._clock = clock
        self._renew_before = renew_before

    def get(self) -> str:
        """A token with more than ``renew_before`` left, fetching one if needed."""
        token = self._usable()
        if token:
            return token
        with _lock_for(self.key):
            return self._usable() or self._renew()

    def replace(self, rejected: str) -> str:
        """A fresh token after the provider refused ``rejected`` (revoked or expired early).

        If another thread already replaced it, use that one instead of fetching again.
        """
        with _lock_for(self.key):
            current = self._usable()
            if current and current != rejected:
                return current
            return self._renew()

    def _usable(self) -> str | None:
        cached = self.store.get(self.key)
        if cached and cached[1] - self._renew_before > self._clock():
            return cached[0]
        return None

    def _renew(self) -> str:
        token, expires_at = self._fetch()
        self.store.set(self.key, token, expires_at)
        return token


class BearerClient:
    """Calls an API with a cached bearer token; after a 401, one fresh token and one retry.

    Retrying is safe even for a create: a 401 means the provider did not act on the request.
    """

    def __init__(self, http: JsonHttpClient, token: CachedToken) -> None:
        self.http = http
        self.token = token

    def request(
        self, method: str, url: str, expected: tuple[int, ...] = (200,), **kwargs: Any
    ) -> requests.Response:
        token = self.token.get()
        try:
            return self._send(token, method, url, expected, kwargs)
        except AuthError as exc:
            if exc.status != 401:
                raise
            return self._send(self.token.replace(token), method, url, expected, kwargs)

    def json(
        self, method: str, url: str, expected: tuple[int, ...] = (200,), **kwargs: Any
    ) -> dict[str, Any]:
        return self.http.decode(self.request(method, url, expected, **kwargs))

    def _send(
        self, token: str, method: str, url: str, expected: tuple[int, ...], kwargs: dict[str, Any]
    ) -> requests.Response:
        headers = {**kwargs.get("headers", {}), "Authorization": f"Bearer {token}"}
        return self.http.request(method, url, expected, **{**kwargs, "headers": headers})
