"""Password reset by email: single use, short-lived, stored hashed, the same answer for everyone.

Throttling counts every request in the database (so all workers agree): per address, a request
past the limit is answered exactly like any other but sends nothing (so the answer still says
nothing about the address, and nobody's inbox can be flooded); per IP address, past the limit
the page says to wait (that says nothing about any account).
"""

from __future__ import annotations

import enum
import logging
import secrets
from datetime import datetime, timedelta

from flask import current_app, render_template, url_for
from sqlalchemy import func, select, update

from facilitator.auth import services
from facilitator.auth.passwords import password_problem
from facilitator.clock import system_now
from facilitator.errors import DomainError, NotFoundError
from facilitator.extensions import db
from facilitator.invites.services import queue_plain_email
from facilitator.models import User
from facilitator.models.users import PasswordResetRequest, PasswordResetToken
from facilitator.supervision import audit
from facilitator.supervision.audit import Origin

log = logging.getLogger(__name__)

EXPIRED = "This link has expired or has already been used. Ask for a new one."


class Outcome(enum.Enum):
    SENT = "sent"
    NOT_SENT = "not_sent"  # unknown or inactive address, or this address asked too often
    IP_LIMITED = "ip_limited"


def _recent(column: object, value: str, since: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(PasswordResetRequest).where(
        column == value, PasswordResetRequest.created_at > since)) or 0


def request_reset(email: str, ip: str | None) -> Outcome:
    config = current_app.config
    email, now = services.normalise_email(email), system_now()
    since = now - timedelta(minutes=int(config["PASSWORD_RESET_WINDOW_MINUTES"]))
    per_ip, per_email = int(config["PASSWORD_RESET_MAX_PER_IP"]), int(config["PASSWORD_RESET_MAX_PER_EMAIL"])
    if ip and _recent(PasswordResetRequest.ip_address, ip, since) >= per_ip:
        return Outcome.IP_LIMITED
    too_often = _recent(PasswordResetRequest.email, email, since) >= per_email
    db.session.add(PasswordResetRequest(email=email, ip_address=ip, created_at=now))
    user = db.session.scalar(select(User).where(User.email == email, User.is_active))
    if user is None or too_often:
        db.session.flush()
        return Outcome.NOT_SENT
    token = secrets.token_urlsafe(32)
    minutes = int(config["PASSWORD_RESET_MINUTES"])
    db.session.add(PasswordResetToken(token_hash=services.token_hash(token), user_id=user.id, created_at=now,
                                      expires_at=now + timedelta(minutes=minutes), ip_address=ip))
    _queue_reset_email(user, token, minutes)
    db.session.flush()
    return Outcome.SENT


def send_account_link(user: User, *, actor: User | None, origin: Origin) -> None:
    """An admin's way to give someone a password: never set for them, but a link by email to
    choose one (valid ``ACCOUNT_LINK_DAYS``). A new account gets a welcome; an existing one is
    signed out everywhere first. Written to the audit trail with who sent it."""
    if not user.is_active:
        raise DomainError("This account is not active: make it active before sending a link.",
                          {"is_active": "The account is not active."})
    now, days = system_now(), int(current_app.config["ACCOUNT_LINK_DAYS"])
    welcome = user.password_hash is None
    if not welcome:
        services.end_all_sessions(user)
        services.expire_reset_tokens(user, now)
    token = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(token_hash=services.token_hash(token), user_id=user.id, created_at=now,
                                      expires_at=now + timedelta(days=days), ip_address=origin.ip_address))
    context = {"user": user, "url": reset_url(token), "days": days, "sender": actor.name if actor else None}
    template = "welcome" if welcome else "account_link"
    subject = "Your Facilitator account" if welcome else "Choose a new password for Facilitator"
    queue_plain_email(to_email=user.email, to_name=user.name, subject=subject,
                      text=render_template(f"auth/email/{template}.txt", **context),
                      html=render_template(f"auth/email/{template}.html", **context))
    audit.record("send_account_link", actor=actor, object_type="user", object_id=user.id, owner_id=user.id,
                 origin=origin, detail="welcome" if welcome else "reset")
    db.session.flush()


def reset_url(token: str) -> str:
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    return base + url_for("auth.reset_password", token=token)


def _queue_reset_email(user: User, token: str, minutes: int) -> None:
    context = {"user": user, "url": reset_url(token), "minutes": minutes}
    # Through the transactional outbox, in this transaction: mailed only if the token is saved.
    queue_plain_email(to_email=user.email, to_name=user.name, subject="Reset your Facilitator password",
                      text=render_template("auth/email/password_reset.txt", **context),
                      html=render_template("auth/email/password_reset.html", **context))


def valid_token(token: str | None) -> PasswordResetToken | None:
    """The unused, unexpired reset token of an active user, or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(PasswordResetToken).where(
        PasswordResetToken.token_hash == services.token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at <= system_now() or not row.user.is_active:
        return None
    return row


def complete_reset(token: str | None, password: str) -> User:
    """Spend the token and set the password; every session of the user ends."""
    row = valid_token(token)
    if row is None:
        raise NotFoundError(EXPIRED)
    problem = password_problem(password)
    if problem:  # before spending the token, so a refused password can be corrected
        raise DomainError("Choose a different password.", {"password": problem})
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=system_now())
        .execution_options(synchronize_session=False))
    if spent.rowcount != 1:
        raise NotFoundError(EXPIRED)
    services.replace_password(row.user, password)
    log.info("User %s reset their password by email", row.user.id)
    return row.user
