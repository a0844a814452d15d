"""Two-step sign-in helpers shared by the account tests."""

from __future__ import annotations

import time

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

from facilitator.auth import mfa, totp
from facilitator.extensions import db
from facilitator.models import User


def current_code(secret: bytes, step_offset: int = 0) -> str:
    """What an authenticator app shows (an independent TOTP, not our own helper)."""
    at = time.time() + step_offset * totp.STEP_SECONDS
    return TOTP(secret, 6, SHA1(), 30).generate(at).decode()


def enrol_directly(user: User) -> bytes:
    """Switch two-step sign-in on through the service; the current step is used up by it."""
    secret = totp.new_secret()
    mfa.enable_totp(user, secret, current_code(secret))
    db.session.commit()
    return secret
