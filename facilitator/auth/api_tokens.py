"""API tokens: made for a user (CLI ``api-token``), listed and revoked on their account page.

A token is a bearer secret that skips the sign-in page, so it may only stand in for a user who
could sign in in full: when their role needs two-step sign-in, a token is made only once they
have set it up, and a token stops working whenever they no longer have it (after a reset, say).
Every token ends ``API_TOKEN_DAYS`` after it was made. Only the token's SHA-256 is stored.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from facilitator.auth import mfa
from facilitator.auth.services import API_TOKEN_PREFIX, token_hash
from facilitator.clock import system_now
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import ApiToken, User
from facilitator.models.base import can_be_row_id
from facilitator.transaction import note_last_used

NEEDS_TWO_FACTOR = ("{email} must set up two-step sign-in before an API token can be made for them: their "
                    "role needs it. They can set it up on their account page (Account → Two-step sign-in).")


def may_use_tokens(user: User) -> bool:
    """Whether a token can act for this user now: active, and with two-step sign-in if required."""
    return user.is_active and (user.has_mfa or not mfa.is_required(user))


def token_lifetime() -> timedelta:
    return timedelta(days=int(current_app.config["API_TOKEN_DAYS"]))


def issue_api_token(user: User, label: str = "") -> str:
    """A new token for ``user`` (shown once; only its hash is kept)."""
    if not may_use_tokens(user):
        message = NEEDS_TWO_FACTOR.format(email=user.email)
        raise DomainError(message, {"user": message})
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = system_now()
    db.session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label, created_at=now,
                            expires_at=now + token_lifetime()))
    db.session.flush()
    return token


def revoke_api_tokens(user: User) -> None:
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=system_now())
    )


def revoke_api_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's own live tokens; False when there is no such token of theirs."""
    row = db.session.get(ApiToken, token_id) if can_be_row_id(token_id) else None
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        return False
    row.revoked_at = system_now()
    db.session.flush()
    return True


def live_tokens(user: User, now: datetime | None = None) -> list[ApiToken]:
    """The user's tokens that still work (not revoked, not expired), newest first."""
    return list(db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > (now or system_now()))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def load_token_user(token: str) -> User | None:
    """The user a bearer token acts for, or None when it is unknown, revoked, expired or unusable."""
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked_at.is_(None),
                               ApiToken.expires_at > system_now())
    )
    if row is None or not may_use_tokens(row.user):
        return None
    note_last_used(row, system_now())
    return row.user
