"""Personal link tokens: 256 random bits, handed out once, stored only as their SHA-256.

Join links (``/j/<token>``) belong to one contact and one session; personal links (``/h/<token>``,
the feed and reminder settings) to one contact. Every email mints fresh ones, because a hash cannot
be turned back into a link; older links keep working until they expire or are revoked.
Tokens never reach a log: ``facilitator.logging_setup`` masks them in every record.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.models import Contact, ContactToken, InvitationToken, MeetingSession

TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(token))


def mint_join_token(session: MeetingSession, contact: Contact) -> str:
    token = new_token()
    db.session.add(InvitationToken(token_hash=token_hash(token), session_id=session.id,
                                   contact_id=contact.id, created_at=now_utc()))
    return token


def mint_contact_token(contact: Contact) -> str:
    token = new_token()
    db.session.add(ContactToken(token_hash=token_hash(token), contact_id=contact.id, created_at=now_utc()))
    return token


def join_expires_at(session: MeetingSession) -> datetime:
    return session.ends_at + timedelta(days=int(current_app.config["TOKEN_EXPIRY_DAYS"]))


def find_join_token(token: str) -> InvitationToken | None:
    """The live join token, or None when unknown, revoked, expired or its contact is inactive."""
    if not well_formed(token):
        return None
    row = db.session.scalar(select(InvitationToken).where(InvitationToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.contact.is_active:
        return None
    if now_utc() >= join_expires_at(row.session):
        return None
    return row


def find_contact_token(token: str) -> ContactToken | None:
    """The live personal-link token, or None when unknown, revoked, expired or inactive."""
    if not well_formed(token):
        return None
    row = db.session.scalar(select(ContactToken).where(ContactToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.contact.is_active:
        return None
    days = int(current_app.config["HOME_LINK_EXPIRY_DAYS"])
    if days > 0 and now_utc() >= row.created_at + timedelta(days=days):
        return None
    return row


def revoke_contact_links(contact: Contact) -> int:
    """Revoke every join and personal link of ``contact``; returns how many were live."""
    now = now_utc()
    count = 0
    for model in (InvitationToken, ContactToken):
        result = db.session.execute(
            update(model).where(model.contact_id == contact.id, model.revoked_at.is_(None))
            .values(revoked_at=now).execution_options(synchronize_session=False))
        count += result.rowcount or 0
    return count


def live_link_counts(contact: Contact) -> dict[str, object]:
    """How many of a contact's links still work, and when a personal link was last opened."""
    now = now_utc()
    expiry = timedelta(days=int(current_app.config["TOKEN_EXPIRY_DAYS"]))
    joins = db.session.scalars(
        select(MeetingSession.ends_at).join(InvitationToken, InvitationToken.session_id == MeetingSession.id)
        .where(InvitationToken.contact_id == contact.id, InvitationToken.revoked_at.is_(None)))
    personal = list(db.session.scalars(select(ContactToken).where(
        ContactToken.contact_id == contact.id, ContactToken.revoked_at.is_(None))))
    used = [t.last_used_at for t in personal if t.last_used_at is not None]
    return {"join": sum(1 for ends_at in joins if now < ends_at + expiry), "personal": len(personal),
            "last_used": max(used, default=None)}
