"""The steps of signing in that password and single sign-on share: the second factor, then the session.

Between a correct first factor and the second one, the signed session cookie holds only who is
half-way and since when (``PENDING_SECONDS`` at most); no server-side session exists until the
second factor is proven, so nothing but the code page can be reached with a password alone.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for

from facilitator.auth import services
from facilitator.extensions import db
from facilitator.models import User

PENDING_KEY = "pending_sign_in"
PENDING_SECONDS = 300


def safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    if "\\" in target or any(ord(c) < 32 for c in target):
        return url_for("home.index")
    return target


def user_agent() -> str:
    return request.user_agent.string[:300]


def complete_sign_in(user: User, mfa_method: str | None, next_url: str | None) -> Any:
    """Start a fresh server-side session (a new id: no fixation) and go where the user was going."""
    session.clear()
    session["sid"] = services.start_session(user, request.remote_addr, user_agent(), mfa_method)
    current_app.logger.info("User %s signed in (second factor: %s)", user.id, mfa_method or "none")
    return redirect(safe_next(next_url))


def after_first_factor(user: User, next_url: str | None, via: str) -> Any:
    """Ask for the second factor when the user has one; otherwise sign straight in."""
    if not user.has_mfa:
        return complete_sign_in(user, None, next_url)
    session.clear()
    session[PENDING_KEY] = {"uid": user.id, "at": int(time.time()), "next": next_url or "", "via": via}
    return redirect(url_for("auth.two_factor"))


def pending_sign_in() -> tuple[User, dict[str, Any]] | None:
    """The user half-way through signing in, while that is recent and still makes sense."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = time.time() - float(pending.get("at", 0))
    uid = pending.get("uid")
    user = db.session.get(User, uid) if isinstance(uid, int) and 0 <= age <= PENDING_SECONDS else None
    if user is None or not user.is_active or not user.has_mfa:
        session.pop(PENDING_KEY, None)
        return None
    return user, pending
