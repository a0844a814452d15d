"""Matching a calendar answer to what we sent, and keeping each contact's latest one.

**Never trusted.** An answer counts only when its UID is one of our events *and* its ATTENDEE is
an address whose invitation to that event was sent (compared in lower case, the domain in its ASCII
form, so ``Mòrag@Dùn.example`` and ``mòrag@xn--dn-oka.example`` are one address). Anything else
is ignored and counted: ``unknown_uid``, ``no_occurrence`` (our UID, but no session starts at
its RECURRENCE-ID) or ``not_invited``.

**UID to sessions in one place.** :func:`sessions_for_reply` is the only code that turns a UID
(and RECURRENCE-ID) into sessions: a one-off session's own UID, or a series' for its occurrences.

**Which answer wins.** One row per contact and session keeps the latest PARTSTAT. A reply with a
lower SEQUENCE than the one kept answers an older version of the event and never overwrites it.
With the same SEQUENCE the later DTSTAMP wins; a reply without DTSTAMP, or the same one again
(a message read twice after a UIDVALIDITY change), overwrites with what it says, which is the
same answer, so reading a message again changes nothing.

**Apologies.** After each answer kept, the home's calendar apology follows its contacts' answers
(``replies.calendar_apology``, the one rule: every invited contact declined).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facilitator.extensions import db
from facilitator.invites import series
from facilitator.models import CalendarReply, Contact, InviteDelivery, MeetingSession, Method
from facilitator.replies.calendar_apology import sync_calendar_apology
from facilitator.replies.parse import Answer, normalise_address

# The answers kept: the home's calendar apology follows them. "unchanged" too, so reading a reply
# again makes the apology of a reply kept before apologies existed; the rule changes nothing twice.
KEPT = ("recorded", "unchanged")


def sessions_for_reply(uid: str, recurrence_id: datetime | date | None) -> list[MeetingSession]:
    """The sessions an answer to ``uid`` is about: all of the UID's without ``recurrence_id``,
    else the one whose original start it names (a floating time is read in the session's zone, a
    DATE as the session's local day). A series' UID stands for its occurrences, each named by the
    start its rule gave it, wherever it has moved since (``invites.series.sessions_of_uid``)."""
    sessions = series.sessions_of_uid(uid)
    if recurrence_id is None:
        return sessions
    return [s for s in sessions if _is_occurrence(s, recurrence_id)]


def _is_occurrence(session: MeetingSession, recurrence_id: datetime | date) -> bool:
    original = session.series_slot_at or session.starts_at
    zone = ZoneInfo(session.timezone)
    if isinstance(recurrence_id, datetime):
        moment = recurrence_id if recurrence_id.tzinfo is not None else recurrence_id.replace(tzinfo=zone)
        return moment.astimezone(UTC) == original
    return original.astimezone(zone).date() == recurrence_id


def invited_contacts(session_ids: list[int], address: str) -> dict[int, set[int]]:
    """Per session id, the contacts invited to it at ``address`` (normalised) whose invitation
    was sent, by its own email or its series' (``InviteDelivery`` keeps both)."""
    rows = db.session.execute(
        select(InviteDelivery.session_id, InviteDelivery.contact_id, InviteDelivery.email)
        .where(InviteDelivery.session_id.in_(session_ids), InviteDelivery.method == Method.REQUEST.value,
               InviteDelivery.sent_at.is_not(None))).all()
    found: dict[int, set[int]] = {}
    for session_id, contact_id, email in rows:
        if normalise_address(email) == address:
            found.setdefault(session_id, set()).add(contact_id)
    return found


def record_answer(answer: Answer, received_at: datetime) -> list[str]:
    """Match and keep one answer; the outcome for each (session, contact) it touched, or why not."""
    sessions = sessions_for_reply(answer.uid, answer.recurrence_id)
    if not sessions:
        known = answer.recurrence_id is not None and sessions_for_reply(answer.uid, None)
        return ["no_occurrence" if known else "unknown_uid"]
    invited = invited_contacts([s.id for s in sessions], answer.attendee)
    if not invited:
        return ["not_invited"]
    by_id = {s.id: s for s in sessions}
    outcomes = []
    for session_id, contacts in sorted(invited.items()):
        for contact_id in sorted(contacts):
            outcome = _keep(session_id, contact_id, answer, received_at)
            if outcome in KEPT:
                _home_apology_follows(by_id[session_id], contact_id, received_at)
            outcomes.append(outcome)
    return outcomes


def _home_apology_follows(session: MeetingSession, contact_id: int, now: datetime) -> None:
    """The contact's home's calendar apology follows its contacts' answers (issue 18: every
    invited contact declined → it stands; an acceptance → it is withdrawn). A cancelled session
    takes no apologies."""
    contact = db.session.get(Contact, contact_id)
    if contact is not None and not session.is_cancelled:
        sync_calendar_apology(session, contact.home_id, now)


def _keep(session_id: int, contact_id: int, answer: Answer, received_at: datetime) -> str:
    """Insert or update the (session, contact) row; ``recorded``, ``unchanged`` or ``stale``."""
    row = _reply_row(session_id, contact_id)
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(CalendarReply(
                    session_id=session_id, contact_id=contact_id, partstat=answer.partstat,
                    sequence=answer.sequence, replied_at=answer.stamp, received_at=received_at))
            return "recorded"
        except IntegrityError:  # another worker kept an answer for them a moment ago
            row = _reply_row(session_id, contact_id)
            assert row is not None
    if _is_older(answer, row):
        return "stale"
    if (row.partstat, row.sequence, row.replied_at) == (answer.partstat, answer.sequence, answer.stamp):
        return "unchanged"
    row.partstat, row.sequence, row.replied_at = answer.partstat, answer.sequence, answer.stamp
    row.received_at = received_at
    return "recorded"


def _reply_row(session_id: int, contact_id: int) -> CalendarReply | None:
    return db.session.scalar(select(CalendarReply).where(
        CalendarReply.session_id == session_id, CalendarReply.contact_id == contact_id))


def _is_older(answer: Answer, row: CalendarReply) -> bool:
    if answer.sequence != row.sequence:
        return answer.sequence < row.sequence
    return answer.stamp is not None and row.replied_at is not None and answer.stamp < row.replied_at
