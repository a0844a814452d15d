"""Link tokens: 256 random bits each, looked up by their SHA-256, single-purpose.

Join links (``/j/<token>``) belong to one contact and one session and are minted per email;
they stop working ``TOKEN_EXPIRY_DAYS`` after the session ends. A series email's link belongs to
one contact and one series, and stops working as the join link of the series' last session would.
A contact has one home-page link (``/h/<token>``, with the reminder settings) and one feed link
(``/feeds/<token>.ics``, with its sessions' join pages), re-used by every email. A hash cannot
be turned back into a link, so each is also kept encrypted with the account-secrets helper
(``facilitator/sealed.py``: keyed from ``SECRET_KEY``, which every install has, and opened with
``SECRET_KEY_FALLBACKS`` after a rotation); a decrypted token counts only if it matches the row's
hash. A link is minted only when the contact has none that works and can be opened, or when an
admin rotates it; either revokes the old one. At most one of each kind is live per contact (a
unique index; a worker that loses the race to mint sends the winner's link instead).

A home-page link stops working ``HOME_LINK_EXPIRY_DAYS`` after it was minted (its page then
offers to email a fresh one); a feed link lasts until rotated, so a subscribed calendar does not
silently stop.
Tokens never reach a log: ``facilitator.logging_setup`` masks them in every record.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from facilitator import sealed
from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.models import (
    Contact,
    ContactToken,
    InvitationToken,
    LinkKind,
    MeetingSession,
    Series,
    SeriesToken,
)

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
LINK_PURPOSE = "personal-link"  # the HKDF label of the key that keeps links to send again
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32,64}")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def well_formed(token: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(token))


def seal(purpose: str, token: str) -> str:
    """A link kept so an email can carry it again (``facilitator.sealed``, keyed from SECRET_KEY)."""
    return sealed.encrypt(purpose, token.encode())


def unseal(purpose: str, ciphertext: str | None, expected_hash: str | None) -> str | None:
    """The kept link, or None: none kept, it cannot be opened, or it is not the row's link."""
    if ciphertext is None or expected_hash is None:
        return None
    try:
        token = sealed.decrypt(purpose, ciphertext).decode()
    except (sealed.InvalidToken, ValueError):
        return None
    return token if token_hash(token) == expected_hash else None


# ------------------------------------------------------------------------------ join links


def mint_join_token(session: MeetingSession, contact: Contact) -> str:
    token = new_token()
    db.session.add(InvitationToken(token_hash=token_hash(token), session_id=session.id,
                                   contact_id=contact.id, created_at=now_utc()))
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


def mint_series_token(series: Series, contact: Contact) -> str:
    """A join link for a whole series (one per series email): it opens the occurrence on now."""
    token = new_token()
    db.session.add(SeriesToken(token_hash=token_hash(token), series_id=series.id, contact_id=contact.id,
                               created_at=now_utc()))
    return token


def series_expires_at(series_id: str) -> datetime | None:
    """A series link lasts as a join link of its last session does (None: no sessions left)."""
    last = db.session.scalar(select(MeetingSession).where(MeetingSession.series_id == series_id)
                             .order_by(MeetingSession.ends_at.desc()).limit(1))
    return None if last is None else join_expires_at(last)


def find_series_token(token: str) -> SeriesToken | None:
    """The live series link, or None when unknown, revoked, past its series' last session's
    expiry, or its contact is inactive."""
    if not well_formed(token):
        return None
    row = db.session.scalar(select(SeriesToken).where(SeriesToken.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or not row.contact.is_active:
        return None
    ends = series_expires_at(row.series_id)
    if ends is None or now_utc() >= ends:
        return None
    return row


# -------------------------------------------------------------------------- personal links


def expires_at(row: ContactToken, used_as: LinkKind) -> datetime | None:
    """When the link stops working for this use: a page ``HOME_LINK_EXPIRY_DAYS`` after it was
    minted (0: never); a feed never."""
    days = int(current_app.config["HOME_LINK_EXPIRY_DAYS"])
    if used_as != LinkKind.HOME or days <= 0:
        return None
    return row.created_at + timedelta(days=days)


def is_expired(row: ContactToken, used_as: LinkKind) -> bool:
    ends = expires_at(row, used_as)
    return ends is not None and now_utc() >= ends


def known_contact_token(token: str, used_as: LinkKind) -> ContactToken | None:
    """The contact's unrevoked link for this use (expired or not), or None when unknown, revoked,
    of the other kind or of an inactive contact. A pre-0012 link serves both uses."""
    if not well_formed(token):
        return None
    row = db.session.scalar(select(ContactToken).where(
        ContactToken.token_hash == token_hash(token), ContactToken.kind.in_((used_as, LinkKind.LEGACY))))
    if row is None or row.revoked_at is not None or not row.contact.is_active:
        return None
    return row


def find_contact_token(token: str, used_as: LinkKind) -> ContactToken | None:
    """The working link for this use, or None when unknown, revoked, expired or inactive."""
    row = known_contact_token(token, used_as)
    return None if row is None or is_expired(row, used_as) else row


def kept_contact_token(contact: Contact, kind: LinkKind) -> str | None:
    """The contact's live link of this kind when it still works and can be opened; only reads."""
    row = _live(contact, kind)
    return None if row is None or is_expired(row, kind) else _unseal(row)


def current_contact_token(contact: Contact, kind: LinkKind) -> str:
    """The contact's link of this kind, to put in an email: the kept one, else a new one (which
    revokes the old)."""
    return kept_contact_token(contact, kind) or mint_contact_token(contact, kind)


def mint_contact_token(contact: Contact, kind: LinkKind = LinkKind.HOME) -> str:
    """A new link of this kind for the contact; its live one of the same kind is revoked."""
    token = new_token()
    try:
        with db.session.begin_nested():
            _revoke(contact, (kind,))
            row = ContactToken(token_hash=token_hash(token), contact_id=contact.id, kind=kind.value,
                               created_at=now_utc())
            _seal(row, token)
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        # Another worker minted this contact's link meanwhile: carry that one.
        winner = _live(contact, kind)
        again = _unseal(winner) if winner is not None else None
        if again is None:
            raise
        return again
    return token


def rotate_contact_token(contact: Contact, kind: LinkKind) -> str:
    """Replace the contact's link of this kind: the old one (and a pre-0012 link, which also
    served this use) stops working at once."""
    _revoke(contact, (LinkKind.LEGACY,))
    return mint_contact_token(contact, kind)


def revoke_contact_links(contact: Contact) -> int:
    """Revoke every join, series and personal link of ``contact``; returns how many were live."""
    live = 0
    for model in (InvitationToken, SeriesToken):
        result = db.session.execute(
            update(model).where(model.contact_id == contact.id, model.revoked_at.is_(None))
            .values(revoked_at=now_utc()).execution_options(synchronize_session=False))
        live += result.rowcount or 0
    return live + _revoke(contact, tuple(LinkKind))


def _live(contact: Contact, kind: LinkKind) -> ContactToken | None:
    return db.session.scalar(select(ContactToken).where(
        ContactToken.contact_id == contact.id, ContactToken.kind == kind, ContactToken.revoked_at.is_(None)))


def _revoke(contact: Contact, kinds: tuple[LinkKind, ...]) -> int:
    """Revoke the contact's live personal links of these kinds, dropping their encrypted copies."""
    result = db.session.execute(
        update(ContactToken).where(ContactToken.contact_id == contact.id, ContactToken.kind.in_(kinds),
                                   ContactToken.revoked_at.is_(None))
        .values(revoked_at=now_utc(), ciphertext=None)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount or 0


def _seal(row: ContactToken, token: str) -> None:
    row.ciphertext = sealed.encrypt(LINK_PURPOSE, token.encode())


def _unseal(row: ContactToken) -> str | None:
    """The link's token, or None when none was kept (a pre-0012 link) or it cannot be opened with
    ``SECRET_KEY`` or its fallbacks."""
    if row.ciphertext is None:
        return None
    try:
        token = sealed.decrypt(LINK_PURPOSE, row.ciphertext).decode()
    except (sealed.InvalidToken, ValueError):
        log.warning("Personal link %s of contact %s cannot be opened with SECRET_KEY or "
                    "SECRET_KEY_FALLBACKS: a new one replaces it", row.id, row.contact_id)
        return None
    return token if token_hash(token) == row.token_hash else None


# ------------------------------------------------------------------------------ staff page


@dataclass(frozen=True)
class LinkState:
    """What staff may know of a personal link: never the link itself."""

    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    expired: bool


def link_overview(contact: Contact) -> dict[str, object]:
    """The contact's working join links, and the state of each live personal link by kind."""
    now = now_utc()
    expiry = timedelta(days=int(current_app.config["TOKEN_EXPIRY_DAYS"]))
    joins = db.session.scalars(
        select(MeetingSession.ends_at).join(InvitationToken, InvitationToken.session_id == MeetingSession.id)
        .where(InvitationToken.contact_id == contact.id, InvitationToken.revoked_at.is_(None)))
    overview: dict[str, object] = {"join": sum(1 for ends_at in joins if now < ends_at + expiry)}
    for kind in LinkKind:
        row = _live(contact, kind)
        used_as = LinkKind.HOME if kind == LinkKind.LEGACY else kind
        overview[kind.value] = row and LinkState(row.created_at, row.last_used_at, expires_at(row, used_as),
                                                 is_expired(row, used_as))
    return overview
