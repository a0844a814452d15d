"""Rate limits on the parts of the site that answer strangers: link pages, webhooks and the API.

Flask-Limiter does the counting, in the storage named by ``RATELIMIT_STORAGE_URI``. The default,
``memory://``, counts in each worker process on its own, so with several gunicorn workers an
address gets that many times the limit: give them one shared counter with
``RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379`` (Redis or Valkey; needs the ``redis`` package).
Should the storage stop answering, the limits fall back to counting in memory rather than
refusing every request.

Three kinds of request are limited, each with its own counter:

- failed token look-ups, per client address, whatever the token: a link page (paths under
  ``/j/``, ``/h/`` and ``/feeds/``) answering 404 or 410, and an API request answering 401 (a
  bearer token that is unknown, revoked or expired, or none at all). A person tapping their own
  link never counts; someone trying link after link, or a random bearer each time, does. Past
  ``RATELIMIT_TOKEN_SLOW`` each further miss is answered ``RATELIMIT_TOKEN_DELAY_SECONDS`` late,
  and past ``RATELIMIT_TOKEN_UNKNOWN`` every link page and API request from that address answers
  429, good tokens included (else the 429s would tell good from bad);
- webhooks (``/webhooks/...``), per sending address, counting only deliveries whose signature
  fails: ``RATELIMIT_WEBHOOK``. The view asks (``count_failed_signature``) once it knows; a
  signed delivery is never counted nor refused, so Zoom's own bursts always get through;
- the API (``/api/...``), per bearer token (its SHA-256, never the token itself), or per address
  for requests without one: ``RATELIMIT_API``.

Sign-in and password reset are throttled per account in the database instead (``facilitator/auth``),
which holds across workers without extra storage.

Each app gets its own ``Limiter`` (kept in ``app.extensions``) because its counters belong to
one app's configuration; a module-level one would be rebound by every ``create_app`` in tests.
A 429 is answered by the app's error handlers in the usual shape (JSON for the API and webhooks,
the site layout for pages), with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

TOKEN_PREFIXES = ("/j/", "/h/", "/feeds/", "/a/", "/q/")
# What a link page answers for a link that is unknown, revoked or expired.
UNKNOWN_LINK_STATUSES = frozenset({404, 410})
LIMIT_KEYS = {"webhook": "RATELIMIT_WEBHOOK", "api": "RATELIMIT_API"}
# The kinds of request that look a token up, so can be used to guess tokens.
LOOKUP_KINDS = frozenset({"token", "api"})
EXTENSION = "facilitator.limiter"
FALLBACK_EXTENSION = "facilitator.limiter.fallback"
SLOW_ENVIRON_KEY = "facilitator.ratelimit.delay"
_FAILED_SCOPE = "failed-lookup"


def request_kind() -> str | None:
    """Which limited kind of request this is: ``token``, ``webhook``, ``api`` or None."""
    path = request.path
    if path.startswith(TOKEN_PREFIXES):
        return "token"
    if path.startswith("/webhooks/"):
        return "webhook"
    if path.startswith("/api/"):
        return "api"
    return None


def client_key() -> str:
    """Whose counter a request counts against: its bearer token's hash for the API, else its address."""
    if request_kind() == "api":
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()
    return address_key()


def address_key() -> str:
    return "addr:" + (get_remote_address() or "unknown")


def _limit_for_request() -> str:
    return str(current_app.config.get(LIMIT_KEYS.get(request_kind() or ""), ""))


def _request_identifier() -> str:
    return request_kind() or request.endpoint or ""


def _counts(response: Response) -> bool:
    """Whether an answer counts against its limit (a 429 never does, so backing off works)."""
    return response.status_code != 429


def is_failed_lookup(response: Response) -> bool:
    """Whether this answer says the token it was given (a link's or a bearer) did not work."""
    kind = request_kind()
    if kind == "token":
        return response.status_code in UNKNOWN_LINK_STATUSES
    return kind == "api" and response.status_code == 401


def get_limiter(app: Flask | None = None) -> Limiter | None:
    """The app's limiter, or None when rate limits are switched off."""
    return (app or current_app).extensions.get(EXTENSION)


def init_app(app: Flask) -> None:
    if not app.config["RATELIMIT_ENABLED"]:
        return
    limiter = Limiter(
        client_key,
        default_limits=[_limit_for_request],
        default_limits_deduct_when=_counts,
        request_identifier=_request_identifier,
        auto_check=False,
        swallow_errors=True,
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.extensions[FALLBACK_EXTENSION] = STRATEGIES[app.config["RATELIMIT_STRATEGY"]](MemoryStorage())

    def check() -> None:
        if request_kind() != "webhook":  # checked by the view, for failed signatures only
            limiter.check()

    # First of all before_request hooks: a refused request costs no database query.
    app.before_request_funcs.setdefault(None, []).insert(0, check)
    app.before_request_funcs[None].insert(1, refuse_after_failed_lookups)
    app.after_request(_after_request)
    app.wsgi_app = _SlowDown(app.wsgi_app)  # type: ignore[method-assign]


def _failed_lookup_limits() -> list[RateLimitItem]:
    return list(parse_many(str(current_app.config["RATELIMIT_TOKEN_UNKNOWN"])))


def _counter(action: str, item: RateLimitItem) -> Any:
    """``hit``, ``test`` or ``get_window_stats`` on the shared storage, else on this process's memory.

    Flask-Limiter's own fallback only covers the limits it checks itself, so these counts keep one
    of their own: with the storage down, guessing still meets a limit per process.
    """
    limiter = get_limiter()
    assert limiter is not None
    try:
        return getattr(limiter.limiter, action)(item, address_key(), _FAILED_SCOPE)
    except Exception:  # noqa: BLE001 - any storage failure: count in memory instead
        log.warning("Rate limit storage failed; counting failed look-ups in memory", exc_info=True)
        fallback = current_app.extensions[FALLBACK_EXTENSION]
        return getattr(fallback, action)(item, address_key(), _FAILED_SCOPE)


def refuse_after_failed_lookups() -> None:
    """A 429 for every look-up from an address past ``RATELIMIT_TOKEN_UNKNOWN`` failed ones."""
    if get_limiter() is None or request_kind() not in LOOKUP_KINDS:
        return
    over = [item for item in _failed_lookup_limits() if not _counter("test", item)]
    if over:
        reset_at = _counter("get_window_stats", over[0]).reset_time
        g.failed_lookup_retry_after = max(1, math.ceil(reset_at - time.time()))
        raise TooManyRequests()


def _count_failed_lookup() -> None:
    for item in _failed_lookup_limits():
        _counter("hit", item)


def count_failed_signature() -> None:
    """A webhook delivery whose signature failed: it counts against its address, and past
    ``RATELIMIT_WEBHOOK`` it is refused with 429 (raises ``RateLimitExceeded``)."""
    limiter = get_limiter()
    if limiter is not None:
        limiter.check()


def _after_request(response: Response) -> Response:
    if response.status_code == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(g.get("failed_lookup_retry_after") or retry_after_seconds())
    if is_failed_lookup(response):
        _count_failed_lookup()
        delay = _slow_down_delay()
        if delay:
            request.environ[SLOW_ENVIRON_KEY] = delay
    return response


def retry_after_seconds() -> int:
    """Whole seconds until the breached limit lets this client in again (at least 1)."""
    limiter = get_limiter()
    current = limiter.current_limit if limiter else None
    if current is None:
        return 60
    try:
        return max(1, math.ceil(current.reset_at - time.time()))
    except Exception:  # noqa: BLE001 - storage trouble must not turn a 429 into a 500
        log.warning("Could not read the rate limit window for Retry-After", exc_info=True)
        return 60


def _slow_down_delay() -> float:
    """Count one more missed link for this address; past the slow limit, how long to wait."""
    config = current_app.config
    delay = float(config["RATELIMIT_TOKEN_DELAY_SECONDS"])
    limiter = get_limiter()
    if not delay or limiter is None:
        return 0.0
    try:
        items: Iterable[RateLimitItem] = parse_many(str(config["RATELIMIT_TOKEN_SLOW"]))
        over = [not limiter.limiter.hit(item, address_key(), "token-slow") for item in items]
    except Exception:  # noqa: BLE001 - a storage failure leaves the answer unslowed
        log.warning("Rate limit storage failed while counting a missed link", exc_info=True)
        return 0.0
    return delay if any(over) else 0.0


class _SlowDown:
    """WSGI wrapper that holds back a flagged answer after the app has finished with it.

    Waiting here rather than in the view means the request's database connection is already back
    in the pool, so slowed answers tie up nothing but the one worker thread.
    """

    def __init__(self, wsgi_app: Callable[..., Any]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        result = self.wsgi_app(environ, start_response)
        delay = environ.get(SLOW_ENVIRON_KEY)
        if delay:
            time.sleep(delay)
        return result
