"""A home's apologies in advance (issue 18): made through a contact's link or by declining in the
calendar, withdrawn until the session starts, and the one rule that ties them to the register.

**The register rule** (:func:`sync_register_entry`, called by every path that changes an apology):
while a home has at least one standing apology for a session, its register entry is ``excused``
with source ``apology``, unless a person or an import already recorded the home (a status with
another source), which is left alone. When the last standing apology is withdrawn, the entry the
apology made is removed again, but only while its source is still ``apology``: a facilitator's
save (source ``manual``) or an import that saw the home attend has replaced it by then.

**One home, one answer.** The home's page is shared (one iPad, several contacts), so it shows the
home's apologies, and "Withdraw" withdraws every standing apology of the home for that session.

**Calendar replies** (``facilitator.replies.calendar_apology``): when every invited contact of a home has
DECLINED a session, the home has one apology with source ``calendar`` (no contact, reason
``other``, note :data:`DECLINED_NOTE`); an ACCEPTED from any of them later withdraws it.
Reading the same replies again changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import Contact, MeetingSession
from facilitator.models.attendance import AttendanceEntry, AttendanceStatus, EntrySource
from facilitator.models.engagement import Apology, ApologyReason, ApologySource

MAX_NOTE = 500
REASONS = tuple(r.value for r in ApologyReason)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class ApologyInput:
    reason: str | None
    note: str = ""


# Reads ---------------------------------------------------------------------------------------

def standing_for_home(session_id: int, home_id: int) -> list[Apology]:
    """The home's apologies for the session that are not withdrawn, oldest first."""
    return list(db.session.scalars(
        select(Apology).where(Apology.session_id == session_id, Apology.home_id == home_id,
                              Apology.withdrawn_at.is_(None))
        .options(joinedload(Apology.contact)).order_by(Apology.created_at, Apology.id)))


def for_session(session_id: int) -> list[Apology]:
    """Every apology for the session, withdrawn ones too, in the order they came."""
    return list(db.session.scalars(
        select(Apology).where(Apology.session_id == session_id)
        .options(joinedload(Apology.contact), joinedload(Apology.home))
        .order_by(Apology.created_at, Apology.id)))


def standing_by_home(session_id: int) -> dict[int, list[Apology]]:
    """Per home id, its standing apologies for the session (for the register and session page)."""
    found: dict[int, list[Apology]] = {}
    for apology in for_session(session_id):
        if apology.standing:
            found.setdefault(apology.home_id, []).append(apology)
    return found


def standing_for_sessions(session_ids: list[int], home_id: int | None = None) -> dict[int, list[Apology]]:
    """Per session id, the standing apologies of its homes, or of one home (the pages that list
    sessions: a home's own page, a facilitator's home page)."""
    if not session_ids:
        return {}
    query = select(Apology).where(Apology.session_id.in_(session_ids), Apology.withdrawn_at.is_(None))
    if home_id is not None:
        query = query.where(Apology.home_id == home_id)
    found: dict[int, list[Apology]] = {}
    for apology in db.session.scalars(
            query.options(joinedload(Apology.home), joinedload(Apology.contact))
            .order_by(Apology.created_at, Apology.id)):
        found.setdefault(apology.session_id, []).append(apology)
    return found


# The register rule ---------------------------------------------------------------------------

def sync_register_entry(session: MeetingSession, home_id: int) -> AttendanceEntry | None:
    """Make the home's register entry follow its apologies (the rule in the module docstring);
    the entry as it now stands, or None. Flushes only."""
    standing = bool(standing_for_home(session.id, home_id))
    entry = db.session.scalar(select(AttendanceEntry).where(
        AttendanceEntry.session_id == session.id, AttendanceEntry.home_id == home_id))
    made_by_apology = entry is not None and entry.source == EntrySource.APOLOGY
    if standing and entry is None:
        entry = AttendanceEntry(session_id=session.id, home_id=home_id, comment="")
        db.session.add(entry)
    if standing and entry is not None and (made_by_apology or entry.status is None):
        entry.status, entry.source = AttendanceStatus.EXCUSED.value, EntrySource.APOLOGY.value
        entry.staff_count = entry.engagement = None
    elif not standing and made_by_apology:
        db.session.delete(entry)
        entry = None
    db.session.flush()
    return entry


# Through the home's link ---------------------------------------------------------------------

def apology_problems(data: ApologyInput) -> dict[str, str]:
    """Every problem with what the contact typed, by field name."""
    problems: dict[str, str] = {}
    if data.reason not in (None, "", *REASONS):
        problems["reason"] = f"Choose one of: {', '.join(REASONS)}."
    note = data.note or ""
    if len(note) > MAX_NOTE:
        problems["note"] = f"Keep the note to {MAX_NOTE} characters."
    elif _CONTROL.search(note):
        problems["note"] = "The note contains characters that cannot be stored."
    return problems


def check_still_open(session: MeetingSession, now: datetime) -> None:
    """Apologies are sent, and withdrawn, until the session starts."""
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so there is nothing to send apologies for.")
    if session.starts_at <= now:
        raise DomainError("This session has already started, so apologies can no longer be sent or "
                          "withdrawn here. Please contact your facilitator.")


def send_apology(session: MeetingSession, contact: Contact, data: ApologyInput, now: datetime) -> Apology:
    """The contact's apology for their home (sent again: its reason and note are replaced, and a
    withdrawn one stands again as new). The caller checked the session is the home's."""
    check_still_open(session, now)
    if problems := apology_problems(data):
        raise DomainError("Please check the form.", problems)
    apology = db.session.scalar(select(Apology).where(
        Apology.session_id == session.id, Apology.home_id == contact.home_id,
        Apology.contact_id == contact.id))
    if apology is None:
        apology = Apology(session_id=session.id, home_id=contact.home_id, contact_id=contact.id,
                          source=ApologySource.LINK.value, created_at=now)
        db.session.add(apology)
    elif apology.withdrawn_at is not None:
        apology.created_at, apology.withdrawn_at, apology.digested_at = now, None, None
    apology.reason = data.reason or ApologyReason.OTHER.value
    apology.note = (data.note or "").strip()
    db.session.flush()
    sync_register_entry(session, contact.home_id)
    return apology


def withdraw_apologies(session: MeetingSession, home_id: int, now: datetime) -> int:
    """Withdraw every standing apology of the home for the session; how many."""
    check_still_open(session, now)
    standing = standing_for_home(session.id, home_id)
    for apology in standing:
        apology.withdrawn_at = now
    db.session.flush()
    sync_register_entry(session, home_id)
    return len(standing)


# From calendar replies -----------------------------------------------------------------------
