"""Engine set-up that differs per database.

SQLite is the embedded default, so it gets WAL (readers never wait for the writer), foreign keys,
a busy timeout, and ``BEGIN IMMEDIATE`` transactions: a deferred transaction that upgrades from
reading to writing fails at once with "database is locked" instead of waiting, which concurrent
requests would otherwise see.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from facilitator.extensions import db


def engine_options(app: Flask) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        timeout_s = app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        options["connect_args"] = {"timeout": timeout_s, "check_same_thread": False}
    elif app.config["DATABASE_SCHEMA"]:
        options["connect_args"] = {"options": f"-csearch_path={app.config['DATABASE_SCHEMA']}"}
    return options


def init_app(app: Flask) -> None:
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app)
    db.init_app(app)
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
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine._facilitator_configured = True  # type: ignore[attr-defined]
