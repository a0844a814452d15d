"""Account emails (password reset): one function, ``queue_email``, between this area and the outbox.

The transactional outbox (``facilitator/invites``) is the way email leaves the app. When it offers
a plain-email entry point (``facilitator.invites.services.queue_plain_email`` with this signature),
``queue_email`` writes the message there, in the caller's transaction.

Until then the message is handed to the configured mail backend (file, SMTP or memory) right
after the caller's transaction commits, and dropped if it rolls back, so a reset link is never
mailed for a token that was not saved. That interim path sends from the web request; a failed
send is logged, and the user can simply ask again.
"""

from __future__ import annotations

import logging
import secrets
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from facilitator.extensions import db
from integrations.mailer import MailBackend, MailError, OutgoingEmail, build_backend

try:  # the outbox's plain-email entry point, once the invitations area provides it
    from facilitator.invites.services import queue_plain_email as _outbox_queue  # type: ignore[attr-defined]
except ImportError:
    _outbox_queue = None

log = logging.getLogger(__name__)

_PENDING = "facilitator.auth.mail.pending"


def queue_email(to_email: str, to_name: str, subject: str, text: str, html: str) -> None:
    """Send a plain email as part of the current transaction (sent only if it commits)."""
    if _outbox_queue is not None:
        _outbox_queue(to_email=to_email, to_name=to_name, subject=subject, text=text, html=html)
        return
    message = OutgoingEmail(
        to_email=to_email, to_name=to_name, subject=subject, text=text, html=html,
        message_id=f"<account.{secrets.token_hex(16)}@{_mail_domain()}>",
        from_addr=str(current_app.config["MAIL_FROM"]))
    db.session().info.setdefault(_PENDING, []).append((message, _backend()))


def _mail_domain() -> str:
    _, address = parseaddr(str(current_app.config["MAIL_FROM"]))
    return address.rpartition("@")[2] or "facilitator.invalid"


def _backend() -> MailBackend:
    """The app's mail backend (the outbox worker's, when it has set one up)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    backend = app.extensions.get("mail_backend")
    if backend is None:
        settings = dict(app.config)
        if not settings.get("MAIL_OUTBOX_DIR"):
            settings["MAIL_OUTBOX_DIR"] = str(Path(app.instance_path) / "outbox")
        backend = app.extensions["mail_backend"] = build_backend(settings)
    return backend


def _send_pending(session: Session) -> None:
    for message, backend in session.info.pop(_PENDING, []):
        try:
            backend.send(message)
        except MailError as exc:
            log.warning("Account email to user could not be sent: %s", exc.message)


def _drop_pending(session: Session, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def init_app(app: Flask) -> None:
    """Hook the interim path into the session's commit and rollback (once per process)."""
    del app
    if _outbox_queue is None and not event.contains(Session, "after_commit", _send_pending):
        event.listen(Session, "after_commit", _send_pending)
        event.listen(Session, "after_soft_rollback", _drop_pending)
