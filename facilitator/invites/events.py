"""What every copy of a session's event carries, whichever way it goes: email, feed or download.

**One ORGANIZER per UID, for life.** The first time any copy is built, the organizer is chosen
(``ORGANIZER_EMAIL``, else the facilitator who booked it, else another of the group's, else the
sender address; never one of the session's recipients) and stored in ``event_organizers``.
Every later message, feed and download of the UID carries that one, whoever facilitates by
then: calendar clients treat an update with another ORGANIZER as someone else's event (Outlook
and Google refuse it, Apple Calendar shows a second copy).

**The highest SEQUENCE sent.** A session's own ``sequence`` rises when it changes; an email can
go out above it (a resend, a new address, a contact made inactive or active again: each
recipient's SEQUENCE only rises). Every copy carries the highest SEQUENCE sent for the UID in
any channel, so a feed or a download never lags what a calendar already holds (a client ignores
a copy whose SEQUENCE is lower than the one it has).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.invites import queries
from facilitator.models import EventOrganizer, MeetingSession, Role


class NoOrganizer(Exception):
    """Every organizer candidate is one of the session's recipients."""


def _candidates(session: MeetingSession) -> list[tuple[str, str]]:
    config = current_app.config
    creator = session.created_by
    candidates: list[tuple[str, str]] = []
    if config["ORGANIZER_EMAIL"]:
        candidates.append((config["ORGANIZER_EMAIL"], config["ORGANIZER_NAME"] or "PSL sessions"))
    if creator is not None and creator.role == Role.FACILITATOR and session.group.is_facilitated_by(creator):
        candidates.append((creator.email, creator.name))
    candidates += [(f.email, f.name) for f in session.group.facilitators if f.is_active]
    name, address = parseaddr(str(config["MAIL_FROM"]))
    candidates.append((address, name or "PSL sessions"))
    return [(email, cn) for email, cn in candidates if email]


def _recipients(session: MeetingSession, also: str) -> set[str]:
    """Everyone the event goes to now: eligible contacts and those already invited."""
    addresses = {c.email for c in queries.eligible_contacts(session).values()}
    addresses |= {d.email for d in queries.deliveries(session).values()}
    return {a.strip().lower() for a in addresses | {also} if a}


def organizer(session: MeetingSession, recipient: str = "") -> tuple[str, str]:
    """(email, name) of the session's ORGANIZER, fixed the first time it is asked for.

    ``recipient``: the address a message being built goes to (kept out of the first choice).
    Raises :class:`NoOrganizer` when every candidate is a recipient.
    """
    row = db.session.get(EventOrganizer, session.id)
    if row is None:
        row = _store(session, *_choose(session, recipient))
    return row.email, row.name


def _choose(session: MeetingSession, recipient: str) -> tuple[str, str]:
    taken = _recipients(session, recipient)
    choice = next(((e, n) for e, n in _candidates(session) if e.strip().lower() not in taken), None)
    if choice is None:
        raise NoOrganizer("no organizer address differs from the recipients'")
    return choice


def _store(session: MeetingSession, email: str, name: str) -> EventOrganizer:
    """Insert the organizer; a concurrent writer that got there first wins and is used."""
    try:
        with db.session.begin_nested():
            row = EventOrganizer(session_id=session.id, email=email, name=name[:200], fixed_at=now_utc())
            db.session.add(row)
    except IntegrityError:
        stored = db.session.get(EventOrganizer, session.id, populate_existing=True)
        assert stored is not None
        return stored
    return row


def feed_organizers(sessions: Iterable[MeetingSession]) -> dict[int, tuple[str, str]]:
    """Per session id, its organizer for a feed, read in one query.

    A session with none stored has never been sent (its invites are still waiting, or it was
    booked before organizers were kept): the feed, which has no attendee, shows the first
    candidate and leaves the fixing to the first email or download, so reading a feed stays a
    few queries however many sessions it holds.
    """
    rows = list(sessions)
    stored = {o.session_id: (o.email, o.name) for o in db.session.scalars(
        select(EventOrganizer).where(EventOrganizer.session_id.in_([s.id for s in rows])))} if rows else {}
    return {s.id: stored.get(s.id) or _candidates(s)[0] for s in rows}


def current_sequences(sessions: Iterable[MeetingSession]) -> dict[int, int]:
    """Per session id, the highest SEQUENCE sent for its UID: what a feed or a download carries."""
    rows = list(sessions)
    sent = queries.highest_sequences([s.id for s in rows])
    return {s.id: max(s.sequence, sent.get(s.id, 0)) for s in rows}


def current_sequence(session: MeetingSession) -> int:
    return current_sequences([session])[session.id]


def next_sequence(session: MeetingSession, contact_id: int) -> tuple[int, bool]:
    """(SEQUENCE, is an update) for the next invite or cancel to this contact.

    At least the highest sent for the UID, and above the last one this contact was sent.
    """
    previous = queries.highest_sequence(session.id, contact_id)
    current = current_sequence(session)
    return (current if previous is None else max(current, previous + 1)), previous is not None


def feed_stamp(sessions: list[MeetingSession], fallback: datetime) -> datetime:
    """When the copies of these sessions last changed: a session edit or a higher SEQUENCE sent."""
    rendered = queries.last_calendar_render([s.id for s in sessions])
    stamps = [s.updated_at for s in sessions] + ([rendered] if rendered else [])
    return max(stamps, default=fallback).replace(microsecond=0)
