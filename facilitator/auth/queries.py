"""Reads for the account and admin pages: sign-in history and open sessions."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from facilitator.clock import system_now
from facilitator.extensions import db
from facilitator.models import LoginAttempt, User, UserSession

METHOD_LABELS = {
    "password": "Password",
    "totp": "Authenticator code",
    "recovery": "Recovery code",
    "sso": "Single sign-on",
}


def sign_ins(user: User, limit: int = 50) -> list[LoginAttempt]:
    """Sign-in attempts for the user's address, newest first (wrong passwords included)."""
    return list(db.session.scalars(
        select(LoginAttempt).where(LoginAttempt.email == user.email)
        .order_by(LoginAttempt.created_at.desc(), LoginAttempt.id.desc()).limit(limit)))


def open_sessions(user: User) -> list[UserSession]:
    """The user's sessions that have not timed out, most recently used first."""
    config, now = current_app.config, system_now()
    idle_since = now - timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    started_since = now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.last_seen_at > idle_since,
                                  UserSession.created_at > started_since)
        .order_by(UserSession.last_seen_at.desc())))
