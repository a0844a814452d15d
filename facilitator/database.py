"""Engine set-up that differs per database.

SQLite is the embedded default, so it gets WAL (readers never wait for the writer), foreign keys
and a busy timeout. A deferred transaction that reads and then writes fails at once with
"database is locked" when another writer got in between (the busy timeout cannot help it), so
work that means to write starts with ``BEGIN IMMEDIATE`` and waits its turn instead: every
non-GET request, every page declared ``@writes_on_get`` (it records something when read: an
audit row, a join), and any code inside ``write_intent()`` (workers).
Read-only work keeps deferred transactions, so a long read never holds up writers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from facilitator.extensions import db, migrate


def engine_options(app: Flask) -> dict[str, Any]:
    """The engine's options; any given as Flask-SQLAlchemy's ``SQLALCHEMY_ENGINE_OPTIONS`` win."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        timeout_s = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options["connect_args"] = {"timeout": timeout_s, "check_same_thread": False}
    elif app.config["DATABASE_SCHEMA"]:
        options["connect_args"] = {"options": f"-csearch_path={app.config['DATABASE_SCHEMA']}"}
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    return options


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
V = TypeVar("V", bound=Callable[..., Any])


def writes_on_get(view: V) -> V:
    """Declare that a page writes when it is read, so its request begins ready to write."""
    view.writes_on_get = True  # type: ignore[attr-defined]
    return view


def _mark_write_intent() -> None:
    """``before_request``, before anything reads: does this request mean to write?"""
    view = current_app.view_functions.get(request.endpoint or "")
    g.db_write_intent = request.method not in SAFE_METHODS or getattr(view, "writes_on_get", False)


@contextmanager
def write_intent() -> Iterator[None]:
    """Begin the transactions started inside this block with ``BEGIN IMMEDIATE`` on SQLite."""
    previous = g.get("db_write_intent", False)
    g.db_write_intent = True
    try:
        yield
    finally:
        g.db_write_intent = previous


def _wants_immediate() -> bool:
    return has_app_context() and bool(g.get("db_write_intent", False))


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def init_app(app: Flask) -> None:
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    app.before_request(_mark_write_intent)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    if getattr(engine, "_facilitator_configured", False):
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _wants_immediate() else "BEGIN")

    engine._facilitator_configured = True  # type: ignore[attr-defined]
