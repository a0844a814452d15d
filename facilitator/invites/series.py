"""Series invitations (issue 15): one calendar entry per series and contact, one email per change.

A series booked with a ``series`` row is invited as a whole: its sessions keep their per-session
``InviteDelivery`` rows (who is invited to which occurrence, what reminders go by), but the
calendar email for a contact is one message for the series' UID carrying the complete current
state of *that contact's* occurrences (:func:`contact_sessions`): a REQUEST, a CANCEL of one
occurrence, or a CANCEL of the whole UID once none is left.

Queuing (``services.queue_series``) coalesces: while a contact's series message is still waiting
and not yet rendered, a further change in the same or a later request re-uses it (it is rendered
from the state at send time), so booking ten sessions, or cancelling them all, is one email per
contact.
A series without a row (booked before this) is left to the per-session path.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, update

from facilitator.clock import as_local, now_utc
from facilitator.extensions import db
from facilitator.models import (
    Contact,
    DeliveryStatus,
    InviteDelivery,
    MeetingSession,
    MessageKind,
    Method,
    OutboxMessage,
    OutboxStatus,
    Series,
    SessionStatus,
)
from facilitator.models.invites import CALENDAR_KINDS
from facilitator.recurrence import SKIP_SPARE, local_moment, series_dates

REPLACED = "Replaced by a newer message before it was sent."


def series_of(session: MeetingSession) -> Series | None:
    """The session's series row, or None for a one-off or a series booked before series rows."""
    return db.session.get(Series, session.series_id) if session.series_id else None


def series_rows(ids: set[str]) -> dict[str, Series]:
    """The series rows of these series ids, in one query (old series have none)."""
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(Series).where(Series.id.in_(ids)))}


def series_sessions(series: Series) -> list[MeetingSession]:
    return list(db.session.scalars(select(MeetingSession).where(MeetingSession.series_id == series.id)
                                   .order_by(MeetingSession.series_slot_at, MeetingSession.id)))


def ical_uid(session: MeetingSession) -> str:
    """The UID of the calendar event a session's invitations carry: its series' for a series
    invited as one entry, else its own. (Replies are matched to sessions by this UID.)"""
    series = series_of(session)
    return series.ical_uid if series is not None else session.ical_uid


def sessions_of_uid(uid: str, recurrence_id: datetime | None = None) -> list[MeetingSession]:
    """The sessions a calendar UID stands for (the inverse of :func:`ical_uid`): a series' sessions,
    or with ``recurrence_id`` (aware) its one occurrence; else the one session with that UID."""
    row = db.session.scalar(select(Series).where(Series.ical_uid == uid))
    if row is None:
        return list(db.session.scalars(select(MeetingSession).where(MeetingSession.ical_uid == uid)))
    sessions = series_sessions(row)
    if recurrence_id is None:
        return sessions
    return [s for s in sessions if s.series_slot_at == recurrence_id.astimezone(UTC)]


def contact_sessions(series: Series, contact_id: int, email: str) -> list[MeetingSession]:
    """The occurrences this contact is invited to at this address: not cancelled, in rule order."""
    return list(db.session.scalars(
        select(MeetingSession).join(InviteDelivery, InviteDelivery.session_id == MeetingSession.id)
        .where(MeetingSession.series_id == series.id, MeetingSession.status == SessionStatus.SCHEDULED,
               InviteDelivery.contact_id == contact_id, InviteDelivery.email == email,
               InviteDelivery.method == Method.REQUEST)
        .order_by(MeetingSession.series_slot_at, MeetingSession.id)))


def rule_starts(series: Series, through: datetime) -> list[datetime]:
    """Every start (UTC) the series' rule gives up to ``through``, bank holidays included: the
    same dates booking drew from (``booking.times``), at the first start's local time of day."""
    first = as_local(series.first_starts_at, series.timezone)
    wanted = series.count + SKIP_SPARE
    while True:
        days = series_dates(first.date(), series.rule, wanted, series.monthly_by or "date")
        starts = [local_moment(day, first.time(), series.timezone).astimezone(UTC) for day in days]
        if starts[-1] > through:
            return [start for start in starts if start <= through]
        wanted *= 2


# ------------------------------------------------------------------------------- the outbox


def _rows(series_id: str, contact_id: int, email: str) -> object:
    return and_(OutboxMessage.series_id == series_id, OutboxMessage.contact_id == contact_id,
                OutboxMessage.to_email == email, OutboxMessage.kind.in_(CALENDAR_KINDS))


def waiting_message(series: Series, contact_id: int, email: str) -> OutboxMessage | None:
    """The contact's series message that is queued, not rendered and held by no worker."""
    now = now_utc()
    return db.session.scalar(select(OutboxMessage).where(
        _rows(series.id, contact_id, email), OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.rendered_at.is_(None),
        or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .order_by(OutboxMessage.id.desc()).limit(1))


def maybe_delivered(series: Series, contact_id: int, email: str) -> bool:
    """Could a series invitation have reached this address (sent, or rendered and perhaps sent)?"""
    now = now_utc()
    return db.session.scalar(select(OutboxMessage.id).where(
        _rows(series.id, contact_id, email), OutboxMessage.kind == MessageKind.REQUEST,
        or_(OutboxMessage.status == OutboxStatus.SENT,
            and_(OutboxMessage.status == OutboxStatus.PENDING,
                 or_(OutboxMessage.rendered_at.is_not(None), OutboxMessage.locked_until >= now))))
        .limit(1)) is not None


def supersede(series: Series, contact_id: int, email: str) -> None:
    now = now_utc()
    db.session.execute(
        update(OutboxMessage)
        .where(_rows(series.id, contact_id, email), OutboxMessage.status == OutboxStatus.PENDING,
               or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now))
        .values(status=OutboxStatus.SKIPPED.value, last_error=REPLACED, locked_until=None)
        .execution_options(synchronize_session="fetch"))


def decide(series: Series, contact: Contact, email: str, waiting: OutboxMessage | None,
           cancelled: MeetingSession | None, *,
           ended_early: bool = False) -> tuple[MessageKind, int | None] | None:
    """(kind, occurrence) of the one message the contact needs now, or None for no message.

    ``ended_early``: the series was just ended before its later sessions ("this and the
    following"), so what is left of it, even if all past, stays in calendars (a REQUEST).
    """
    now = now_utc()
    theirs = contact_sessions(series, contact.id, email)
    if ended_early:
        if not theirs:
            return (MessageKind.CANCEL, None) if maybe_delivered(series, contact.id, email) else None
        reached = waiting is not None or maybe_delivered(series, contact.id, email)
        return (MessageKind.REQUEST, None) if reached else None
    if not [s for s in theirs if s.ends_at > now]:
        # None still to come (a home that left, a series cancelled): the whole entry goes.
        if not maybe_delivered(series, contact.id, email):
            return None  # nothing can have reached them: nothing to cancel
        return MessageKind.CANCEL, None
    if cancelled is None:
        return MessageKind.REQUEST, None
    same = waiting is not None and waiting.kind == MessageKind.CANCEL and waiting.session_id == cancelled.id
    if waiting is not None and not same:
        return MessageKind.REQUEST, None  # the waiting message will carry the complete state
    if not maybe_delivered(series, contact.id, email):
        return None
    return MessageKind.CANCEL, cancelled.id


def invited_addresses(series: Series) -> list[tuple[int, str]]:
    """Every (contact, address) with an invitation row for one of the series' sessions."""
    db.session.flush()
    rows = db.session.execute(
        select(InviteDelivery.contact_id, InviteDelivery.email).distinct()
        .join(MeetingSession, MeetingSession.id == InviteDelivery.session_id)
        .where(MeetingSession.series_id == series.id).order_by(InviteDelivery.contact_id))
    return [(contact_id, email) for contact_id, email in rows]


def newer_message(message: OutboxMessage) -> bool:
    """Is a later series message queued or sent to the same address for the same series?"""
    return db.session.scalar(select(OutboxMessage.id).where(
        _rows(str(message.series_id), int(message.contact_id or 0), message.to_email),
        OutboxMessage.id > message.id,
        OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENT.value])).limit(1)) is not None


def why_skip(message: OutboxMessage) -> str | None:
    """Why a series message no longer applies (checked before every attempt), or None."""
    if newer_message(message):
        return REPLACED
    if message.series is None or message.contact_id is None:
        return "The series no longer exists."
    if message.kind == MessageKind.REQUEST and not contact_sessions(message.series, message.contact_id,
                                                                    message.to_email):
        return "The contact is no longer invited to any session of the series."
    return None


def next_sequence(series: Series, contact_id: int) -> tuple[int, bool]:
    """(SEQUENCE, is an update): at least the series' highest sent, above this contact's last."""
    previous = db.session.scalar(select(func.max(OutboxMessage.sequence)).where(
        OutboxMessage.series_id == series.id, OutboxMessage.contact_id == contact_id,
        OutboxMessage.sequence.is_not(None)))
    current = series.sequence
    return (current if previous is None else max(current, previous + 1)), previous is not None


def record_outcome(message: OutboxMessage, status: DeliveryStatus, now: datetime,
                   error: str | None = None) -> None:
    """A series message was sent (or failed for good): so were its occurrences' invitations."""
    if newer_message(message):
        return
    query = (select(InviteDelivery).join(MeetingSession, MeetingSession.id == InviteDelivery.session_id)
             .where(MeetingSession.series_id == message.series_id,
                    InviteDelivery.contact_id == message.contact_id,
                    InviteDelivery.email == message.to_email))
    if message.session_id is not None:
        query = query.where(InviteDelivery.session_id == message.session_id)
    for delivery in db.session.scalars(query):
        if status == DeliveryStatus.SENT:
            delivery.sequence, delivery.sent_at = message.sequence, now
        delivery.status, delivery.error, delivery.updated_at = status.value, error, now


def invitation_state(series: Series) -> dict[str, int]:
    """Where each invited address's latest series email stands: sent, waiting or failed."""
    latest = select(func.max(OutboxMessage.id)).where(
        OutboxMessage.series_id == series.id, OutboxMessage.status != OutboxStatus.SKIPPED,
        OutboxMessage.kind.in_(CALENDAR_KINDS)).group_by(OutboxMessage.contact_id, OutboxMessage.to_email)
    statuses = Counter(db.session.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(latest))))
    return {"addresses": len(invited_addresses(series)), "sent": statuses[OutboxStatus.SENT.value],
            "waiting": statuses[OutboxStatus.PENDING.value], "failed": statuses[OutboxStatus.FAILED.value]}
