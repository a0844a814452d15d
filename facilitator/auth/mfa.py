"""Two-factor sign-in: TOTP set-up and checks, single-use recovery codes. Flush, never commit.

A code is accepted at most once: the user row keeps the last accepted time step, and the check
that moves it forward is one conditional UPDATE, so two requests racing with the same code cannot
both win (on PostgreSQL the second waits for the first and then finds the step already taken).
Recovery codes are spent the same way.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import delete, func, or_, select, update

from facilitator import sealed
from facilitator.auth import services, totp
from facilitator.auth.passwords import verify_password
from facilitator.clock import system_now
from facilitator.config import parse_roles
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.invites.services import queue_plain_email
from facilitator.models import User
from facilitator.models.users import RecoveryCode
from facilitator.supervision import audit
from facilitator.supervision.audit import Origin

log = logging.getLogger(__name__)

SECRET_PURPOSE = "totp-secret"  # noqa: S105 - an HKDF label, not a secret
RECOVERY_CODE_COUNT = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy by hand
RECOVERY_LENGTH = 16  # 16 of 31 symbols: 79 bits, so a plain SHA-256 stores them safely
WRONG_CODE = "That code is not right, or it has already been used."


# ------------------------------------------------------------------------------ policy


def is_required(user: User) -> bool:
    return user.role in parse_roles(current_app.config["MFA_REQUIRED_ROLES"])


# ------------------------------------------------------------------------------ secrets


def encrypt_secret(secret: bytes) -> str:
    return sealed.encrypt(SECRET_PURPOSE, secret)


def decrypt_secret(token: str | None, max_age: int | None = None) -> bytes | None:
    if not token:
        return None
    try:
        return sealed.decrypt(SECRET_PURPOSE, token, max_age)
    except (sealed.InvalidToken, ValueError):
        return None


def secret_of(user: User) -> bytes | None:
    secret = decrypt_secret(user.totp_secret_encrypted)
    if secret is None and user.totp_secret_encrypted:
        log.warning("Two-factor secret of user %s cannot be decrypted (SECRET_KEY changed?)", user.id)
    return secret


# ------------------------------------------------------------------------------ TOTP


def enable_totp(user: User, secret: bytes, code: str, now: datetime | None = None) -> list[str]:
    """Switch on (or replace) the authenticator once it has shown a right code; new recovery codes."""
    now = now or system_now()
    step = totp.matching_step(secret, code, now.timestamp())
    if step is None:
        raise DomainError("That code did not match.", {
            "code": "That code is not right. Enter the newest 6-digit code your app shows; "
                    "if it still fails, check your phone sets its clock automatically."})
    user.totp_secret_encrypted = encrypt_secret(secret)
    user.totp_enabled_at = now
    user.totp_last_step = step
    codes = new_recovery_codes(user)
    db.session.flush()
    return codes


def accept_totp(user: User, code: str, now: datetime) -> bool:
    """Is this the user's code for now, never accepted before? Accepting it uses it up."""
    secret = secret_of(user)
    step = totp.matching_step(secret, code, now.timestamp(), after=user.totp_last_step) if secret else None
    if step is None:
        return False
    won = db.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False))
    if won.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def disable_mfa(user: User) -> None:
    user.totp_secret_encrypted = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def reset_mfa(user: User, *, actor: User | None, origin: Origin) -> None:
    """An admin's reset for a user who lost their authenticator: set it up again at next sign-in.
    Every session of theirs ends, the audit trail records who did it, and they are told by email."""
    disable_mfa(user)
    services.end_all_sessions(user)
    audit.record("reset_two_factor", actor=actor, object_type="user", object_id=user.id, owner_id=user.id,
                 origin=origin)
    context = {"user": user, "by": actor.name if actor else "an administrator",
               "base": str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")}
    queue_plain_email(to_email=user.email, to_name=user.name, subject="Your two-step sign-in was reset",
                      text=render_template("auth/email/two_factor_reset.txt", **context),
                      html=render_template("auth/email/two_factor_reset.html", **context))


# ------------------------------------------------------------------------------ recovery codes


def normalise_recovery_code(code: str) -> str:
    return "".join(c for c in (code or "").lower() if c.isalnum())


def recovery_hash(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4))


def new_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code with ten new ones; only their hashes are kept."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=recovery_hash(c)) for c in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str, now: datetime) -> bool:
    if len(normalise_recovery_code(code)) != RECOVERY_LENGTH:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == recovery_hash(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False))
    return spent.rowcount == 1


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


# ------------------------------------------------------------------------------ signing in


@dataclass
class SecondFactor:
    method: str | None
    error: str | None


def check_second_factor(user: User, code: str, ip: str | None, user_agent: str | None) -> SecondFactor:
    """The code page: an authenticator code or a recovery code, throttled like passwords."""
    now = system_now()
    refused = services.throttled(user.email, now)
    if refused:
        return SecondFactor(None, refused.error)
    if totp.looks_like_code(code):
        method, ok = services.METHOD_TOTP, accept_totp(user, code, now)
    else:
        method, ok = services.METHOD_RECOVERY, use_recovery_code(user, code, now)
    services.record_attempt(user.email, ok, method, ip, user_agent, now)
    return SecondFactor(method, None) if ok else SecondFactor(None, WRONG_CODE)


def confirm_password(user: User, password: str | None) -> None:
    """Re-authentication before changing the second factor (accounts without a password skip it)."""
    if user.password_hash and not verify_password(user.password_hash, password or ""):
        raise DomainError("Your password is not right.",
                          {"current_password": "This is not your current password."})
