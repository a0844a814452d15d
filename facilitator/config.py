"""Loading and checking the configuration; every key and its default is in ``facilitator/defaults.py``.

Order of precedence (lowest first): the defaults, ``instance/config.py``, environment variables
named ``FACILITATOR_<KEY>``, and the mapping a test passes to ``create_app``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask
from limits import parse_many

from facilitator import gc_tuning
from facilitator.defaults import DEFAULTS
from facilitator.models import Role

log = logging.getLogger(__name__)

ENV_PREFIX = "FACILITATOR"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


MIN_SECRET_KEY_LENGTH = 32


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply the layers in order, then fill in derived settings and validate."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(ENV_PREFIX)
    _keep_text_settings_as_text(app)
    if test_config:
        app.config.from_mapping(test_config)
    _ensure_database_url(app)
    _ensure_secret_key(app)
    _apply_cookie_policy(app)
    _validate(app)


def _keep_text_settings_as_text(app: Flask) -> None:
    """Flask reads each environment variable as JSON when it can, so a password of ``true`` or
    ``12345`` would arrive as a bool or a number. A key whose default is text keeps the text."""
    for key, default in DEFAULTS.items():
        raw = os.environ.get(f"{ENV_PREFIX}_{key}")
        if raw is not None and isinstance(default, str):
            app.config[key] = raw


def is_https(app: Flask) -> bool:
    return str(app.config["PUBLIC_BASE_URL"]).lower().startswith("https://")


def _ensure_database_url(app: Flask) -> None:
    if not app.config["DATABASE_URL"]:
        path = Path(app.instance_path) / "facilitator.db"
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]


def _ensure_secret_key(app: Flask) -> None:
    if app.config["SECRET_KEY"]:
        return
    path = Path(app.instance_path) / SECRET_KEY_FILE
    if path.exists():
        app.config["SECRET_KEY"] = path.read_text().strip()
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    app.config["SECRET_KEY"] = key
    log.warning("No SECRET_KEY configured: generated one into %s", path)


def _apply_cookie_policy(app: Flask) -> None:
    secure = is_https(app)
    app.config["SESSION_COOKIE_NAME"] = "__Host-facilitator" if secure else "facilitator"
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_PATH"] = "/"
    app.config["SESSION_COOKIE_DOMAIN"] = None
    app.config["PREFERRED_URL_SCHEME"] = "https" if secure else "http"


# Checks ----------------------------------------------------------------------------------------
# Every key whose value can be wrong is checked here, where it is declared, when the app starts:
# a typo fails at once with a message naming the key, never later in a request.

Check = Callable[[str, Any], None]
MAX_DELAY_SECONDS = 10.0


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(message)


def _whole(minimum: int, what: str = "a whole number") -> Check:
    return lambda key, value: _require(
        not isinstance(value, bool) and isinstance(value, int) and value >= minimum,
        f"{key} must be {what} of at least {minimum}, not {value!r}")


def _email(key: str, value: Any) -> None:
    _require(not str(value or "") or "@" in parseaddr(str(value))[1],
             f"{key} must be an email address, like 'Name <sessions@example.org>'")


def _zone(key: str, value: Any) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{key} {value!r} is not a known time zone") from exc


def _roles(key: str, value: Any) -> None:
    unknown = parse_roles(value) - {r.value for r in Role}
    _require(not unknown, f"{key}: unknown roles {', '.join(sorted(unknown))}")


def _boolean(key: str, value: Any) -> None:
    _require(isinstance(value, bool), f"{key} must be true or false, not {value!r}")


def _folder(empty_ok: bool) -> Check:
    return lambda key, value: _require(
        isinstance(value, str) and value.isascii() and (empty_ok or bool(value.strip()))
        and not any(c in value for c in '\r\n"*%'),
        f"{key} must be an IMAP folder name in plain ASCII{' (or empty)' if empty_ok else ''}, not {value!r}")


def _rate_limit(key: str, value: Any) -> None:
    try:
        parse_many(str(value))
    except ValueError as exc:
        raise ValueError(f"{key} {value!r} is not a rate limit like '30 per 10 minutes'") from exc


CHECKS: dict[str, Check] = {
    "SECRET_KEY": lambda key, value: _require(len(str(value)) >= MIN_SECRET_KEY_LENGTH,
                                              f"{key} must be at least {MIN_SECRET_KEY_LENGTH} characters"),
    "TIMEZONE": _zone,
    "ZOOM_DAILY_LIMIT_PER_HOST": _whole(0),
    "MAX_BODY_BYTES": _whole(1024),
    "ASSESSMENT_INTERVAL_MONTHS": _whole(1),
    "DB_STATEMENT_TIMEOUT_MS": _whole(0),
    "SYNC_INLINE_LIMIT": _whole(0),
    "SYNC_LEASE_SECONDS": _whole(30),
    "SYNC_BACKOFF_SECONDS": _whole(1),
    "SYNC_BACKOFF_MAX_SECONDS": _whole(1),
    "CIRCUIT_FAILURE_THRESHOLD": _whole(1),
    "CIRCUIT_OPEN_SECONDS": _whole(1),
    "ATTENDANCE_IMPORT_LEASE_SECONDS": _whole(30),
    "MAIL_FROM": _email,
    "ORGANIZER_EMAIL": _email,
    "MAIL_REPLY_TO": _email,
    "REMINDER_OFFSETS": lambda _key, value: reminder_offsets(value) and None,
    "GC_THRESHOLDS": lambda _key, value: gc_tuning.thresholds(value) and None,
    "ACTION_DIGEST_WEEKDAY": lambda key, value: _require(
        not isinstance(value, bool) and str(value).strip() in "0123456" and len(str(value).strip()) == 1,
        f"{key} must be a weekday number, 0 (Monday) to 6 (Sunday), not {value!r}"),
    "ZOOM_WEBHOOK_SECRET": lambda key, value: _require(
        not str(value or "") or len(str(value)) >= 16, f"{key} looks too short: copy Zoom's Secret Token"),
    "ATTENDANCE_PRESENT_SHARE": lambda key, value: _require(
        0 < float(value) <= 1, f"{key} must be more than 0 and at most 1"),
    "LATE_AFTER_MINUTES": lambda key, value: _require(float(value) >= 0, f"{key} cannot be negative"),
    "REPORT_CACHE_SIZE": lambda key, value: _require(
        str(value).strip().isdigit(),
        f"{key} must be a whole number, 0 or more (got {str(value).strip()!r})"),
    "APOLOGY_RUN_AT_RISK": lambda key, value: _require(
        str(value).strip().isdigit() and int(str(value).strip()) >= 1,
        f"{key} must be a whole number, 1 or more (got {str(value).strip()!r})"),
    "RATELIMIT_TOKEN_SLOW": _rate_limit,
    "RATELIMIT_TOKEN_UNKNOWN": _rate_limit,
    "RATELIMIT_WEBHOOK": _rate_limit,
    "RATELIMIT_API": _rate_limit,
    "RATELIMIT_TOKEN_DELAY_SECONDS": lambda key, value: _require(
        not isinstance(value, bool) and isinstance(value, int | float) and 0 <= value <= MAX_DELAY_SECONDS,
        f"{key} must be a number from 0 to {MAX_DELAY_SECONDS:g}"),
    "NOTES_RETENTION_MONTHS": _whole(1, "a whole number of months"),
    "SUPERVISION_CADENCE_MONTHS": _whole(1, "a whole number of months"),
    "MFA_REQUIRED_ROLES": _roles,
    "ACCOUNT_LINK_DAYS": _whole(1),
    "API_TOKEN_DAYS": _whole(1),
    "AGREEMENT_REVIEW_MONTHS": _whole(1, "a whole number of months"),
    "AGREEMENT_LINK_DAYS": _whole(1),
    "AGREEMENT_SPONSOR_REMINDER_DAYS": _whole(1),
    "AGREEMENT_REVIEW_REMINDER_DAYS": _whole(1),
    "FOLLOW_UP_ESCALATE_DAYS": _whole(1),
    "QUESTIONNAIRE_MIN_CELL": _whole(1),
    "QUESTIONNAIRE_LINK_DAYS": _whole(1),
    "QUESTIONNAIRE_REMINDER_DAYS": _whole(1),
    "QUESTIONNAIRE_PULSE_HOURS": _whole(1, "a whole number of hours"),
    "APOLOGY_DIGEST_HOUR": lambda key, value: _require(
        not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= 23,
        f"{key} must be an hour of the day, 0 to 23, not {value!r}"),
    "IMAP_PORT": lambda key, value: _require(
        not isinstance(value, bool) and isinstance(value, int) and 0 < value < 65536,
        f"{key} must be a port number (993 for IMAP over TLS), not {value!r}"),
    "IMAP_SSL": _boolean,
    "IMAP_FOLDER": _folder(empty_ok=False),
    "IMAP_DONE_FOLDER": _folder(empty_ok=True),
}


def _validate(app: Flask) -> None:
    config = app.config
    for key, check in CHECKS.items():
        check(key, config[key])
    if config["OIDC_DISCOVERY_URL"] and not config["OIDC_CLIENT_ID"]:
        raise ValueError("OIDC_DISCOVERY_URL is set: OIDC_CLIENT_ID is needed too")
    if config["IMAP_HOST"] and not config["IMAP_USERNAME"]:
        raise ValueError("IMAP_HOST is set: IMAP_USERNAME (and IMAP_PASSWORD) are needed too")
    if config["IMAP_HOST"] and config["IMAP_DONE_FOLDER"] == config["IMAP_FOLDER"]:
        raise ValueError("IMAP_DONE_FOLDER must differ from IMAP_FOLDER (or be empty)")
    if is_https(app) and not config["ORGANIZER_EMAIL"]:  # works, but not what production wants
        log.warning("ORGANIZER_EMAIL is empty: invites name a facilitator's own address as organizer, "
                    "and each event keeps it for life. Set it to a monitored mailbox.")


# Values that need reading, for the code that uses them -----------------------------------------

_OFFSET = re.compile(r"^\s*(\d+)\s*([dhm]?)\s*$", re.IGNORECASE)
_UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1, "": 1}
NOTES_KEY_BYTES = 32


def reminder_offsets(value: Any) -> list[int]:
    """``REMINDER_OFFSETS``: ``"24h,1h"``, ``"1440,60"`` or ``[1440, 60]`` → minutes, largest first."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    minutes: set[int] = set()
    for item in items:
        if isinstance(item, int):
            minutes.add(item)
            continue
        if not str(item).strip():
            continue
        match = _OFFSET.match(str(item))
        if not match:
            raise ValueError(f"REMINDER_OFFSETS: cannot read {item!r} (use e.g. 24h,1h or 1440,60)")
        minutes.add(int(match.group(1)) * _UNIT_MINUTES[match.group(2).lower()])
    if any(m <= 0 for m in minutes):
        raise ValueError("REMINDER_OFFSETS must be positive")
    return sorted(minutes, reverse=True)


def parse_roles(value: str | Iterable[str] | None) -> frozenset[str]:
    """``MFA_REQUIRED_ROLES``: "admin, lead" or a list → the role names."""
    items = value.split(",") if isinstance(value, str) else (value or [])
    return frozenset(str(item).strip().lower() for item in items if str(item).strip())


def parse_keys(value: str | list[str] | tuple[str, ...]) -> list[bytes]:
    """``NOTES_KEYS``, decoded. Errors say which entry is wrong, never what it contains."""
    entries = value if isinstance(value, list | tuple) else str(value).split(",")
    keys: list[bytes] = []
    for position, entry in enumerate((e.strip() for e in entries), start=1):
        if not entry:
            continue
        try:
            raw = base64.urlsafe_b64decode(entry.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raise ValueError(f"NOTES_KEYS entry {position} is not URL-safe base64") from None
        if len(raw) != NOTES_KEY_BYTES:
            raise ValueError(f"NOTES_KEYS entry {position} is not {NOTES_KEY_BYTES} bytes "
                             "(make one with `flask --app facilitator notes new-key`)")
        keys.append(raw)
    return keys
