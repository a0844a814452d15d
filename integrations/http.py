"""A small JSON-over-HTTP client shared by the meeting providers, and the errors it raises.

Every outbound call goes through :meth:`JsonHttpClient.request`, which applies the timeout,
retries what is safe to retry, honours short ``Retry-After`` waits and turns any status other
than the expected ones into one of the exceptions below. Providers never look at status codes.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.exceptions import SSLError as Urllib3SSLError

Clock = Callable[[], datetime]
Timeout = tuple[float, float]

DEFAULT_TIMEOUT: Timeout = (5.0, 15.0)
# Methods that may create something on the server; see JsonHttpClient.request.
UNSAFE_METHODS = frozenset({"POST"})
# A 429's ``X-RateLimit-Type`` when a daily quota (not a per-second one) is used up (Zoom).
DAILY_LIMIT_TYPE = "daily-limit"
_UNSENT_REASONS = (NewConnectionError, ConnectTimeoutError, Urllib3SSLError)


def utc_now() -> datetime:
    return datetime.now(UTC)


class ProviderError(Exception):
    """Base error. ``message`` is fit to show to a person; ``code`` and ``detail`` are the
    provider's own error code and text (branch on ``code``, never on ``detail``)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.detail = detail


class AuthError(ProviderError):
    """The credentials were refused (bad secret, revoked app, token not accepted)."""


class NotFound(ProviderError):
    """The meeting (or user) does not exist at the provider."""


class RateLimited(ProviderError):
    """Too many requests; ``retry_at`` (aware UTC) says when to try again, if known.
    ``daily_limit``: the provider says a daily quota is used up, so nothing passes before the
    next day whatever ``retry_at`` says."""

    def __init__(self, message: str, *, retry_at: datetime | None = None, daily_limit: bool = False,
                 **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_at = retry_at
        self.daily_limit = daily_limit


class ProviderUnavailable(ProviderError):
    """Timeout, connection failure or server error.

    ``maybe_sent`` is True when the provider may have received and acted on the request (a
    read timeout, a 5xx): before repeating a create, look for the meeting first. A 503 may
    carry ``retry_at``.
    """

    def __init__(
        self,
        message: str,
        *,
        maybe_sent: bool = False,
        retry_at: datetime | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(message, **kw)
        self.maybe_sent = maybe_sent
        self.retry_at = retry_at


class Rejected(ProviderError):
    """The provider refused the request (a 4xx other than 401/404/429), with its reason."""


class NotSupported(ProviderError):
    """The provider cannot do this at all (e.g. attendance for a plain link)."""


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Turn a ``Retry-After`` value into an aware UTC datetime.

    Graph sends seconds, Zoom's daily limit sends an ISO-8601 timestamp, RFC 9110 allows an
    HTTP-date. Anything unreadable counts as absent.
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return now + timedelta(seconds=int(text))
    for parse in (datetime.fromisoformat, parsedate_to_datetime):
        try:
            parsed = parse(text)
        except (TypeError, ValueError, IndexError):
            continue
        return _as_utc(parsed)
    return None


def parse_timestamp(value: str | None) -> datetime | None:
    """Parse a provider ISO-8601 timestamp; a naive one is taken as UTC."""
    return _as_utc(datetime.fromisoformat(value)) if value else None


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def error_details(response: requests.Response) -> tuple[str, int | str | None]:
    """The provider's own message and code, from Zoom, Graph or OAuth error bodies."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return (response.reason or f"HTTP {response.status_code}"), None
    inner = body.get("error")
    if isinstance(inner, dict):  # Graph: {"error": {"code", "message"}}
        return str(inner.get("message") or inner.get("code") or ""), inner.get("code")
    if isinstance(inner, str):  # OAuth: {"error", "error_description"} / Zoom's {"reason"}
        text = body.get("error_description") or body.get("reason") or inner
        return str(text), inner
    return str(body.get("message") or f"HTTP {response.status_code}"), body.get("code")


def _maybe_sent(exc: requests.RequestException) -> bool:
    """False only when the request certainly never reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ConnectionError) and exc.args:
        return not isinstance(getattr(exc.args[0], "reason", None), _UNSENT_REASONS)
    return True


class JsonHttpClient:
    """One ``requests.Session``, a timeout on every call, bounded retries, one status check.

    ``sleep`` and ``clock`` are injectable so tests neither wait nor depend on the time.
    """

    def __init__(
        self,
        *,
        service: str = "The provider",
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retries: int = 2,
        max_inline_wait: float = 3.0,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Clock = utc_now,
    ) -> None:
        self.service = service
        self.session = session or requests.Session()
        self.timeout = timeout
        self.retries = retries
        self.max_inline_wait = max_inline_wait
        self.backoff = backoff
        self.sleep = sleep
        self.clock = clock

    def request(
        self,
        method: str,
        url: str,
        expected: Collection[int] = (200,),
        *,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send, retrying what is safe, and return the response if its status is expected.

        A POST is not repeated once it may have reached the server (read timeout, 5xx): it
        raises ``ProviderUnavailable(maybe_sent=True)`` so the caller can look for the meeting
        before creating it again. Pass ``idempotent=True`` for a POST that is safe to repeat.
        429 is always safe to repeat: the provider did not act on the request.
        """
        safe = method.upper() not in UNSAFE_METHODS if idempotent is None else idempotent
        kwargs.setdefault("timeout", self.timeout)
        waited = 0.0
        for attempt in range(self.retries + 1):
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                error: ProviderError = self._unavailable(exc)
            else:
                if response.status_code in expected:
                    return response
                error = self._error_for(response)
            delay = self._retry_delay(error, safe, attempt, waited)
            self.sleep(delay)
            waited += delay
        raise AssertionError("unreachable: the last attempt always returns or raises")

    def json(
        self, method: str, url: str, expected: Collection[int] = (200,), **kwargs: Any
    ) -> dict[str, Any]:
        """Like :meth:`request`, returning the decoded JSON object of the body."""
        return self.decode(self.request(method, url, expected, **kwargs))

    def decode(self, response: requests.Response) -> dict[str, Any]:
        """The JSON object in ``response``; anything else is a provider fault."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ProviderError(f"{self.service} sent a response we could not read.")
        return body

    def _unavailable(self, exc: requests.RequestException) -> ProviderUnavailable:
        what = "timed out" if isinstance(exc, requests.Timeout) else "could not be reached"
        message = f"{self.service} {what}. Please try again in a few minutes."
        return ProviderUnavailable(message, maybe_sent=_maybe_sent(exc))

    def _retry_delay(self, error: ProviderError, safe: bool, attempt: int, waited: float) -> float:
        """Seconds to wait before the next attempt, or raise ``error`` if we should stop."""
        if not self._retryable(error, safe):
            raise error
        retry_at = getattr(error, "retry_at", None)  # only RateLimited / a 503 carry one
        if retry_at is not None:
            delay = max(0.0, (retry_at - self.clock()).total_seconds())
        else:
            delay = self.backoff * 2**attempt + random.uniform(0, self.backoff)
        if waited + delay > self.max_inline_wait and retry_at is not None:
            raise RateLimited(
                _rate_message(self.service, retry_at),
                retry_at=retry_at,
                daily_limit=getattr(error, "daily_limit", False),
                status=error.status,
                code=error.code,
                detail=error.detail,
            )
        if attempt >= self.retries or waited + delay > self.max_inline_wait:
            raise error
        return delay

    @staticmethod
    def _retryable(error: ProviderError, safe: bool) -> bool:
        if isinstance(error, RateLimited):
            return not error.daily_limit  # waiting seconds will not bring tomorrow
        return isinstance(error, ProviderUnavailable) and (safe or not error.maybe_sent)

    def _error_for(self, response: requests.Response) -> ProviderError:
        status = response.status_code
        text, code = error_details(response)
        extra: dict[str, Any] = {"status": status, "code": code, "detail": text}
        if status == 401:
            return AuthError(f"{self.service} did not accept our credentials: {text}", **extra)
        if status == 404:
            return NotFound(f"{self.service} could not find it: {text}", **extra)
        retry_at = parse_retry_after(response.headers.get("Retry-After"), self.clock())
        if status == 429:
            daily = response.headers.get("X-RateLimit-Type", "").strip().lower() == DAILY_LIMIT_TYPE
            return RateLimited(_rate_message(self.service, retry_at), retry_at=retry_at, daily_limit=daily,
                               **extra)
        if status >= 500:
            return ProviderUnavailable(
                f"{self.service} is having problems ({text}). Please try again later.",
                maybe_sent=True,
                retry_at=retry_at if status == 503 else None,
                **extra,
            )
        if 400 <= status < 500:
            return Rejected(f"{self.service} refused the request: {text}", **extra)
        return ProviderError(f"{self.service} answered unexpectedly (HTTP {status}).", **extra)


def _rate_message(service: str, retry_at: datetime | None) -> str:
    if retry_at is None:
        return f"{service} is limiting how often we can call it. Please try again later."
    return f"{service} is limiting how often we can call it. Try again after {retry_at:%H:%M} UTC."
