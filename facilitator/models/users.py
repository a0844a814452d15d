"""Staff accounts, their sign-in sessions, API tokens, sign-in attempts and account security.

Secrets are never stored as given: session ids, API tokens, recovery codes and reset tokens only
as SHA-256 hashes (each carries 80+ random bits), the TOTP secret encrypted (``facilitator/sealed.py``).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitator.clock import system_now
from facilitator.models.base import Base, UTCDateTime


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    FACILITATOR = "facilitator"
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    # The Zoom user (id or email) that hosts this facilitator's meetings; None: the default host.
    zoom_host_user: Mapped[str | None] = mapped_column(String(254))
    # Optional: shown to care homes beside the email (invitations, the home page).
    phone: Mapped[str | None] = mapped_column(String(40))
    # Two-factor sign-in: the TOTP secret (Fernet-encrypted), when it was switched on, and the
    # last time step a code was accepted for (a code is accepted once, and never an older one).
    totp_secret_encrypted: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None]

    supervisor: Mapped[User | None] = relationship(remote_side=[id], foreign_keys=[supervisor_id])

    @property
    def has_mfa(self) -> bool:
        return self.totp_secret_encrypted is not None and self.totp_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class UserSession(Base):
    """One signed-in browser. The cookie holds a random id; this row holds only its hash."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    # How the second factor was proven for this session: "totp", "recovery", "idp" (the identity
    # provider reported MFA), or None (signed in with one factor).
    mfa_method: Mapped[str | None] = mapped_column(String(20))

    user: Mapped[User] = relationship()


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Sign-in attempts per submitted address, counted in the database so every process agrees."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email_created_at", "email", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    succeeded: Mapped[bool] = mapped_column(default=False)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    # What was checked: "password", "totp", "recovery" (a recovery code) or "sso".
    method: Mapped[str] = mapped_column(String(20), default="password")
    user_agent: Mapped[str | None] = mapped_column(String(300))


class RecoveryCode(Base):
    """One single-use two-factor recovery code (only its hash)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PasswordResetToken(Base):
    """A password-reset link sent by email: single use, short-lived, only its hash stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class PasswordResetRequest(Base):
    """Every reset request, known address or not: the per-address and per-IP throttle counts these."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (
        Index("ix_password_reset_requests_email_created_at", "email", "created_at"),
        Index("ix_password_reset_requests_ip_address_created_at", "ip_address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=system_now)
