"""Engine set-up that differs per database.

SQLite is the embedded default, so it gets WAL (readers never wait for the writer), foreign keys
and a busy timeout. A deferred transaction that reads and then writes fails at once with
"database is locked" when another writer got in between (the busy timeout cannot help it), so
work that means to write starts with ``BEGIN IMMEDIATE`` and waits its turn instead: every
non-GET request, every page declared ``@writes_on_get`` (it records something when read: an
audit row), and any code inside ``write_intent()`` (workers).
Read-only work keeps deferred transactions, so a long read never holds up writers, and a long
writer never holds up a page that only reads. Bookkeeping a page does on the side (a join
link's tap, a link's or a sign-in's "last used") is :func:`write_best_effort`, after the request.

PostgreSQL connections get ``statement_timeout`` and ``lock_timeout`` (``DB_STATEMENT_TIMEOUT_MS``),
so a save behind another transaction's row lock fails after that long instead of waiting
indefinitely; SQLite's busy timeout does the same for its one write lock. Either failure is an
``OperationalError``, answered by ``facilitator.errors`` (503, nothing saved, the form again).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from facilitator.extensions import db, migrate


def engine_options(app: Flask) -> dict[str, Any]:
    """The engine's options; any given as Flask-SQLAlchemy's ``SQLALCHEMY_ENGINE_OPTIONS`` win."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        timeout_s = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options["connect_args"] = {"timeout": timeout_s, "check_same_thread": False}
    elif app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {"options": postgres_options(app.config)}
    options.update(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    return options


def postgres_options(config: Any) -> str:
    """libpq's ``options``: the schema, how long a statement or a lock wait may last, and a plan
    made for each statement's own values.

    psycopg prepares a statement on the server from its fifth execution, and from the sixth
    PostgreSQL may switch a prepared statement to a generic plan, one made without the values.
    For the engagement report's history aggregate that plan is far worse (the dashboard of every
    group went from about 290 to 430 ms at the benchmark's national scale after five requests);
    ``force_custom_plan`` keeps the preparing and plans with the values each time."""
    timeout = int(config["DB_STATEMENT_TIMEOUT_MS"])
    settings = [f"-c statement_timeout={timeout}", f"-c lock_timeout={timeout}",
                "-c plan_cache_mode=force_custom_plan"]
    if config["DATABASE_SCHEMA"]:
        settings.insert(0, f"-c search_path={config['DATABASE_SCHEMA']}")
    return " ".join(settings)


# Errors that mean the database did not answer in time (locked past the busy timeout, a statement
# or lock wait cancelled, a refused or lost connection, no pooled connection free): "not now",
# not "wrong". A request answers them 503 (``facilitator.errors``); best-effort writes drop.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
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
def write_intent(wanted: bool = True) -> Iterator[None]:
    """Begin the transactions started inside this block with ``BEGIN IMMEDIATE`` on SQLite (with
    ``wanted=False``: deferred, for reads that must not wait for another writer's lock)."""
    previous = g.get("db_write_intent", False)
    g.db_write_intent = wanted
    try:
        yield
    finally:
        g.db_write_intent = previous


# How long a best-effort write (a click, a "last used") waits for a lock before it is dropped.
BEST_EFFORT_WAIT_MS = 250


def write_best_effort(statement: Any) -> bool:
    """Run one write on a connection of its own, waiting at most ``BEST_EFFORT_WAIT_MS`` for a lock.

    For bookkeeping that must never hold up or fail the answer it belongs to (a join link's
    click, a sign-in session's "last seen"): under a busy database the write is dropped, logged,
    and False is returned."""
    try:
        with db.engine.connect() as connection, _waiting_briefly(connection):
            connection.execute(statement)
    except UNAVAILABLE:
        current_app.logger.info("Dropped a best-effort write: the database is busy")
        return False
    return True


@contextmanager
def _waiting_briefly(connection: Connection) -> Iterator[None]:
    """A write transaction on ``connection`` that waits for a lock only briefly."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # before BEGIN IMMEDIATE, which is where SQLite waits
        _set_busy_timeout(connection, BEST_EFFORT_WAIT_MS)
    try:
        with write_intent(), connection.begin():
            if not sqlite:
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {int(BEST_EFFORT_WAIT_MS)}")
            yield
    finally:
        if sqlite:
            _set_busy_timeout(connection, current_app.config["SQLITE_BUSY_TIMEOUT_MS"])


def _set_busy_timeout(connection: Connection, ms: int) -> None:
    cursor = connection.connection.cursor()  # the DBAPI connection: no transaction is begun for it
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(ms)}")
    finally:
        cursor.close()


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
