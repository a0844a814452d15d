"""The join link's fast path: ``GET /j/<token>`` while the meeting is open, answered below Flask.

At ten o'clock on a Tuesday hundreds of homes tap their links within a minute, and nearly all of
those requests end the same way: the join is recorded and the browser is sent on to the meeting.
This WSGI wrapper does exactly that in one statement — an ``INSERT … SELECT … RETURNING`` that
checks the token, the contact, the invitation, the membership and the join window together and
records the join only when they all hold — without the app's per-request machinery (request
context, sign-in session, rate-limit bookkeeping, templates).

Everything else goes on to the normal view, unchanged: unknown, revoked or expired tokens (so
the token-guessing limits still apply), links opened before the window or after the meeting, a
cancelled session or a withdrawn invitation, HEAD requests and link scanners, which the view
answers without recording a join. The rules are the view's (``views.join``, ``joins.join_state``,
``views._still_invited``); ``tests/test_join.py`` runs each case through this path and the view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import String, bindparam, exists, insert, literal, literal_column, or_, select
from sqlalchemy.engine import Engine

from facilitator.clock import now_in
from facilitator.config import is_https
from facilitator.extensions import db
from facilitator.invites.joins import is_link_scanner, safe_join_url, user_agent_family
from facilitator.invites.tokens import token_hash, well_formed
from facilitator.models import Contact, MeetingSession, Membership, SessionStatus
from facilitator.models.invites import InvitationToken, InviteDelivery, JoinRecord, Method
from facilitator.security import BASE_HEADERS, HSTS

PREFIX = "/j/"


def _record_join_statement() -> Any:
    """Insert the join and return the meeting's URL, when every condition of a redirect holds."""
    token, session, contact = InvitationToken, MeetingSession, Contact
    invited = exists().where(InviteDelivery.session_id == token.session_id,
                             InviteDelivery.contact_id == token.contact_id,
                             InviteDelivery.method == Method.REQUEST.value)
    member = exists().where(Membership.group_id == session.group_id, Membership.home_id == contact.home_id,
                            Membership.joined_on <= session.starts_on,
                            or_(Membership.left_on.is_(None), Membership.left_on > session.starts_on))
    when = JoinRecord.joined_at.type
    rows = (
        select(token.session_id, contact.home_id, contact.id, bindparam("now", type_=when),
               bindparam("family", type_=String()), literal(True), literal("email"))
        .join(contact, contact.id == token.contact_id).join(session, session.id == token.session_id)
        .where(token.token_hash == bindparam("hash"), token.revoked_at.is_(None), contact.is_active,
               session.status == SessionStatus.SCHEDULED.value, session.join_url.is_not(None),
               session.starts_at <= bindparam("opens_by", type_=when),
               session.ends_at > bindparam("now", type_=when), invited, member)
    )
    columns = ["session_id", "home_id", "contact_id", "joined_at", "user_agent_family", "in_window", "via"]
    # Correlated to the inserted row; SQLAlchemy would not correlate a subquery in RETURNING.
    meeting_url = literal_column("(SELECT meeting_sessions.join_url FROM meeting_sessions "
                                 "WHERE meeting_sessions.id = join_records.session_id)")
    return insert(JoinRecord).from_select(columns, rows).returning(meeting_url)


class QuickJoin:
    """WSGI wrapper: answers the common join-link request itself, passes every other one on."""

    def __init__(self, app: Flask, wsgi_app: Callable[..., Any]) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.statement = _record_join_statement()
        headers = [*BASE_HEADERS.items(), ("Referrer-Policy", "no-referrer"), ("Cache-Control", "no-store"),
                   ("X-Robots-Tag", "noindex, nofollow")]
        if is_https(app):
            headers.append(("Strict-Transport-Security", HSTS))
        self.headers = headers
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
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
        params = {"hash": token_hash(token), "now": now, "opens_by": now + window,
                  "family": user_agent_family(agent)[:60]}
        with self.engine.connect() as connection, connection.begin() as transaction:
            target = safe_join_url(connection.execute(self.statement, params).scalar())
            if target is None:  # nothing recorded, or a meeting URL the view will not forward to
                transaction.rollback()
        return target
