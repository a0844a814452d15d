"""The join link's fast path: ``GET /j/<token>`` while the meeting is open, answered below Flask.

At ten o'clock on a Tuesday hundreds of homes tap their links within a minute, and nearly all of
those requests end the same way: the join is recorded and the browser is sent on to the meeting.
This WSGI wrapper does exactly that in one statement, an ``INSERT … SELECT … RETURNING`` that
checks the token, the contact, the invitation, the membership and the join window together and
records the join only when they all hold, and without the app's per-request machinery (request
context, sign-in session, rate-limit bookkeeping, templates).

Everything else goes on to the normal view, unchanged: unknown, revoked or expired tokens (so
the token-guessing limits still apply), links opened before the window or after the meeting, a
cancelled session or a withdrawn invitation, HEAD requests and link scanners, which the view
answers without recording a join. The rules are the view's (``views.join``, ``joins.join_state``,
``views._still_invited``); ``tests/test_join.py`` runs each case through this path and the view.
"""

from __future__ import annotations

import fcntl
import logging
import os
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Boolean, String, bindparam, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from facilitator.clock import now_in
from facilitator.config import is_https
from facilitator.database import engine_options
from facilitator.extensions import db
from facilitator.invites.joins import is_link_scanner, safe_join_url, user_agent_family
from facilitator.invites.tokens import token_hash, well_formed
from facilitator.models.base import UTCDateTime
from facilitator.security import BASE_HEADERS, HSTS

PREFIX = "/j/"
log = logging.getLogger(__name__)


# One statement, in SQL both databases share. It is the view's rules, in order: a live token of an
# active contact (views.join, tokens.find_join_token), a scheduled session the contact is still
# invited to and whose home is a member on its date (views._still_invited), the join window open
# and a meeting URL to go to (joins.join_state). RETURNING reads the URL for the inserted row.
# Kept in step with those functions by tests/test_join.py, which runs every case both ways.
RECORD_JOIN = text("""
INSERT INTO join_records (session_id, home_id, contact_id, joined_at, user_agent_family, in_window, via)
SELECT t.session_id, c.home_id, c.id, :now, :family, :in_window, 'email'
  FROM invitation_tokens t
  JOIN contacts c ON c.id = t.contact_id
  JOIN meeting_sessions s ON s.id = t.session_id
 WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND c.is_active
   AND s.status = 'scheduled' AND s.join_url IS NOT NULL
   AND s.starts_at <= :opens_by AND s.ends_at > :now
   AND EXISTS (SELECT 1 FROM invite_deliveries d
                WHERE d.session_id = t.session_id AND d.contact_id = t.contact_id AND d.method = 'REQUEST')
   AND EXISTS (SELECT 1 FROM memberships m
                WHERE m.group_id = s.group_id AND m.home_id = c.home_id AND m.joined_on <= s.starts_on
                  AND (m.left_on IS NULL OR m.left_on > s.starts_on))
RETURNING join_records.id,
          (SELECT join_url FROM meeting_sessions WHERE meeting_sessions.id = join_records.session_id) AS url
""").bindparams(bindparam("now", type_=UTCDateTime()), bindparam("opens_by", type_=UTCDateTime()),
                bindparam("in_window", type_=Boolean()), bindparam("hash", type_=String()),
                bindparam("family", type_=String()))
FORGET_JOIN = text("DELETE FROM join_records WHERE id = :id")


class QuickJoin:
    """WSGI wrapper: answers the common join-link request itself, passes every other one on."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Any]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        headers = [*BASE_HEADERS.items(), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"),
                   ("X-Robots-Tag", "noindex, nofollow")]
        if is_https(app):
            headers.append(("Strict-Transport-Security", HSTS))
        self.headers = headers
        self._engine: Engine | None = None
        self._lock_path = (str(Path(app.instance_path) / "quick-join.lock")
                           if str(app.config["DATABASE_URL"]).startswith("sqlite") else None)
        self._lock_fd: int | None = None
        self._lock_pid = 0

    @property
    def engine(self) -> Engine:
        """The app's engine on SQLite. On PostgreSQL a small pool of its own, in autocommit (the
        statement is its own transaction: one round trip) and without the app pool's ping before
        each use (a dead connection fails the statement, and the view answers that request).

        Unless ``QUICK_JOIN_SYNCHRONOUS_COMMIT`` is set, that pool's commits do not wait for the
        write-ahead log to reach the disk (PostgreSQL's ``synchronous_commit=off``): a sync worker
        would otherwise sit idle through a flush per link tapped. The database stays consistent;
        a crash of the database server can lose the last fraction of a second of link clicks,
        never a register, booking or invitation (nothing else is written on this pool)."""
        if self._engine is None:
            with self.app.app_context():
                engine = db.engine
            if engine.dialect.name != "sqlite":
                options = {**engine_options(self.app), "pool_pre_ping": False}
                if not self.app.config["QUICK_JOIN_SYNCHRONOUS_COMMIT"]:
                    connect_args = dict(options.get("connect_args", {}))
                    server_options = f"{connect_args.get('options', '')} -csynchronous_commit=off"
                    connect_args["options"] = server_options.strip()
                    options["connect_args"] = connect_args
                engine = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=8,
                                       **options)
                weakref.finalize(self, engine.dispose)
            self._engine = engine
        return self._engine

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        quick = self.app.config["QUICK_JOIN"]
        if quick and environ.get("REQUEST_METHOD") == "GET" and path.startswith(PREFIX):
            target = self._record(path[len(PREFIX):], environ.get("HTTP_USER_AGENT", ""))
            if target is not None:
                headers = [("Location", target), ("Content-Length", "0"), *self.headers]
                start_response("303 See Other", headers)
                return [b""]
        return self.wsgi_app(environ, start_response)

    def _record(self, token: str, agent: str) -> str | None:
        """Record the join and return the meeting's URL; None leaves the request to the view."""
        if not well_formed(token) or is_link_scanner(agent):
            return None
        config = self.app.config
        now = now_in(config)
        window = timedelta(minutes=int(config["JOIN_WINDOW_MINUTES"]))
        params = {"hash": token_hash(token), "now": now, "opens_by": now + window, "in_window": True,
                  "family": user_agent_family(agent)[:60]}
        try:
            with self._writer_turn(), self.engine.connect() as connection:
                row = connection.execute(RECORD_JOIN, params).first()
                target = safe_join_url(row.url) if row is not None else None
                if row is not None and target is None:  # a meeting URL the view will not forward to
                    connection.execute(FORGET_JOIN, {"id": row.id})
                connection.commit()
        except SQLAlchemyError:
            log.warning("The join link's fast path failed; the view answers instead", exc_info=True)
            return None
        return target

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        """SQLite only: wait for the other workers' joins on a lock file rather than on SQLite's
        busy handler, which sleeps a millisecond or more each time it finds the database locked
        (a join holds the write lock for a tenth of that). The file is opened once per process:
        a lock on a descriptor inherited across ``fork`` would be shared, not exclusive."""
        if self._lock_path is None:
            yield
            return
        if self._lock_fd is None or self._lock_pid != os.getpid():
            self._lock_fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            self._lock_pid = os.getpid()
            weakref.finalize(self, os.close, self._lock_fd)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
