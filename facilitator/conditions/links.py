"""The sponsor's link to an agreement (``/a/<token>``), on the contacts' links' rules.

Same machinery as ``facilitator.invites.tokens``: 256 random bits, looked up by SHA-256, and kept
sealed so the reminder can carry it again. Single purpose: the hash lives on the agreement row
and only the agreement page looks there, so the token opens nothing else (and no contact's link
opens an agreement). It works ``AGREEMENT_LINK_DAYS`` after it was sent, until the agreement is
answered (accepted, signed on paper or replaced), when its sealed copy is dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.invites.tokens import new_token, seal, token_hash, unseal, well_formed
from facilitator.models import Agreement

LINK_PURPOSE = "agreement-link"


def link_url(token: str) -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + f"/a/{token}"


def mint_link(agreement: Agreement, now: datetime) -> str:
    """A new link for the agreement; any earlier one stops working."""
    token = new_token()
    agreement.token_hash = token_hash(token)
    agreement.token_ciphertext = seal(LINK_PURPOSE, token)
    agreement.sent_at = now
    return token


def kept_link(agreement: Agreement) -> str | None:
    """The link sent last, to send again; None when none is kept or it cannot be opened."""
    return unseal(LINK_PURPOSE, agreement.token_ciphertext, agreement.token_hash)


def link_expires_at(agreement: Agreement) -> datetime | None:
    if agreement.sent_at is None:
        return None
    return agreement.sent_at + timedelta(days=int(current_app.config["AGREEMENT_LINK_DAYS"]))


def find_link(token: str) -> Agreement | None:
    """The agreement this link was sent for while the link works; else None."""
    if not well_formed(token):
        return None
    agreement = db.session.scalar(select(Agreement).where(Agreement.token_hash == token_hash(token)))
    if agreement is None:
        return None
    ends = link_expires_at(agreement)
    return agreement if ends is not None and now_utc() < ends else None


def drop_link(agreement: Agreement) -> None:
    """The agreement is answered: its link can no longer be sent (its page says it is done)."""
    agreement.token_ciphertext = None
