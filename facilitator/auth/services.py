"""Signing in and out: server-side sessions, the database-backed throttle, passwords, API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import delete, func, select, update

from facilitator.auth.passwords import hash_password, password_problem, verify_password
from facilitator.clock import system_now
from facilitator.database import write_best_effort
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import LoginAttempt, User, UserSession
from facilitator.models.users import PasswordResetToken
from facilitator.transaction import housekeeping

SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
API_TOKEN_PREFIX = "fac_"  # noqa: S105 - a prefix, not a secret

# LoginAttempt.method and UserSession.mfa_method values.
METHOD_PASSWORD = "password"  # noqa: S105 - a label, not a secret
METHOD_TOTP = "totp"
METHOD_RECOVERY = "recovery"
METHOD_SSO = "sso"
MFA_IDP = "idp"


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


@dataclass
class SignInResult:
    user: User | None
    error: str | None


def throttle_wait_minutes(email: str, now: datetime) -> int:
    """Minutes until this address may try again, or 0 when it is not locked.

    Wrong passwords and wrong second-factor codes count together; single sign-on refusals do
    not (they are not guesses of a secret).
    """
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    failures = db.session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.method != METHOD_SSO,
            LoginAttempt.created_at > now - window,
        )
    ).one()
    count, oldest = failures
    if count < cfg["LOGIN_MAX_FAILURES"]:
        return 0
    return max(1, math.ceil((oldest + window - now).total_seconds() / 60))


def throttled(email: str, now: datetime) -> SignInResult | None:
    wait = throttle_wait_minutes(email, now)
    if wait:
        return SignInResult(None, f"Too many failed attempts. Please try again in {wait} minutes.")
    return None


def record_attempt(email: str, ok: bool, method: str, ip: str | None, user_agent: str | None,
                   now: datetime | None = None) -> None:
    db.session.add(LoginAttempt(email=email, succeeded=ok, method=method, ip_address=ip,
                                user_agent=(user_agent or "")[:300] or None, created_at=now or system_now()))


def check_credentials(email: str, password: str, ip: str | None,
                      user_agent: str | None = None) -> SignInResult:
    """Verify a sign-in, counting failures per address (known or not) in the database."""
    email = normalise_email(email)
    now = system_now()
    refused = throttled(email, now)
    if refused:
        return refused
    user = db.session.scalar(select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    ok = ok and user is not None and user.is_active
    record_attempt(email, ok, METHOD_PASSWORD, ip, user_agent, now)
    if not ok:
        return SignInResult(None, "That email and password do not match an active account.")
    return SignInResult(user, None)


def start_session(user: User, ip: str | None, user_agent: str | None, mfa_method: str | None = None) -> str:
    """Create a server-side session and return the random id for the cookie."""
    sid = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            token_hash=token_hash(sid),
            user_id=user.id,
            ip_address=ip,
            user_agent=(user_agent or "")[:300],
            mfa_method=mfa_method,
        )
    )
    return sid


def load_session(sid: str) -> UserSession | None:
    """The session behind a cookie's id, or None when it has ended or expired.

    Ending an expired session and noting when a session was last seen are written after the
    request, on a connection of their own (``transaction.housekeeping``): a page that only reads
    never writes in its own transaction for them."""
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(sid)))
    if row is None:
        return None
    now = system_now()
    cfg = current_app.config
    idle = timedelta(minutes=cfg["SESSION_IDLE_MINUTES"])
    absolute = timedelta(hours=cfg["SESSION_ABSOLUTE_HOURS"])
    if not row.user.is_active or now - row.last_seen_at > idle or now - row.created_at > absolute:
        housekeeping(partial(write_best_effort, delete(UserSession).where(UserSession.id == row.id)))
        return None
    if now - row.last_seen_at > SESSION_TOUCH_INTERVAL:
        housekeeping(partial(write_best_effort, update(UserSession).where(UserSession.id == row.id)
                             .values(last_seen_at=now)))
    return row


def load_session_user(sid: str) -> User | None:
    row = load_session(sid)
    return row.user if row is not None else None


def end_session(sid: str) -> None:
    db.session.execute(delete(UserSession).where(UserSession.token_hash == token_hash(sid)))


def end_all_sessions(user: User) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))


def end_other_sessions(user: User, keep_sid: str) -> None:
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id,
                                                 UserSession.token_hash != token_hash(keep_sid)))


def expire_reset_tokens(user: User, now: datetime | None = None) -> None:
    """Unused reset links of this user stop working (the password they were for has changed)."""
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now or system_now())
        .execution_options(synchronize_session=False)
    )


def replace_password(user: User, password: str) -> None:
    """Set a new password: every session ends and every unused reset link dies with the old one."""
    problem = password_problem(password)
    if problem:
        raise DomainError("Choose a different password.", {"password": problem})
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    expire_reset_tokens(user)
    db.session.flush()


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in user's own change: the current password first, then the rules for a new one."""
    if not user.password_hash or not verify_password(user.password_hash, current):
        raise DomainError("Your current password is not right.",
                          {"current_password": "This is not your current password."})
    if current == new:
        raise DomainError("Choose a different password.",
                          {"password": "Choose a password you have not been using."})
    replace_password(user, new)
