"""Every configuration key, its default and what it is for.

Order of precedence (lowest first): the defaults below, ``instance/config.py``, environment
variables named ``FACILITATOR_<KEY>``, and the mapping a test passes to ``create_app``.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask

log = logging.getLogger(__name__)

ENV_PREFIX = "FACILITATOR"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name

DEFAULTS: dict[str, Any] = {
    # SQLAlchemy URL; empty means a SQLite file ``facilitator.db`` in the instance folder.
    "DATABASE_URL": "",
    # PostgreSQL only: the schema to use (its search_path); empty means the server's default.
    "DATABASE_SCHEMA": "",
    # Signs cookies and CSRF tokens; generated into the instance folder when left empty.
    "SECRET_KEY": "",
    # Zone in which times are entered and shown; the database always holds UTC.
    "TIMEZONE": "Europe/London",
    # The address people reach the app on; https here turns on secure cookies.
    "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    # Sign-in throttle: this many failures for one account within the window locks it.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_MINUTES": 15,
    # A signed-in session ends after this long without a request, and after this long at all.
    "SESSION_IDLE_MINUTES": 120,
    "SESSION_ABSOLUTE_HOURS": 12,
    # argon2id cost; tests lower them, production keeps the library's defaults.
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_KIB": 65536,
    # SQLite only: how long a writer waits for a lock before giving up, in milliseconds.
    "SQLITE_BUSY_TIMEOUT_MS": 15000,
    # Log level of the application's own logger.
    "LOG_LEVEL": "INFO",
}

MIN_SECRET_KEY_LENGTH = 32


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Apply the layers in order, then fill in derived settings and validate."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env(ENV_PREFIX)
    if test_config:
        app.config.from_mapping(test_config)
    _ensure_database_url(app)
    _ensure_secret_key(app)
    _apply_cookie_policy(app)
    _validate(app)


def is_https(app: Flask) -> bool:
    return str(app.config["PUBLIC_BASE_URL"]).lower().startswith("https://")


def _ensure_database_url(app: Flask) -> None:
    if not app.config["DATABASE_URL"]:
        path = Path(app.instance_path) / "facilitator.db"
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})


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


def _validate(app: Flask) -> None:
    if len(str(app.config["SECRET_KEY"])) < MIN_SECRET_KEY_LENGTH:
        raise ValueError(f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters long")
    try:
        ZoneInfo(app.config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"TIMEZONE {app.config['TIMEZONE']!r} is not a known time zone") from exc
