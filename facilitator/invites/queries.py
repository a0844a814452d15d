"""Reads for invitations: who is invited to what, a home's sessions, the outbox."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.models import (
    AttendanceEntry,
    Contact,
    Group,
    InviteDelivery,
    JoinRecord,
    MeetingSession,
    Membership,
    OutboxMessage,
    OutboxStatus,
    ReminderOptOut,
    SessionStatus,
    User,
)
from facilitator.models.attendance import ATTENDED_STATUSES, AttendanceStatus
from facilitator.models.invites import CALENDAR_KINDS


def facilitators_of(group: Group) -> list[User]:
    """Who a home can reach about the group's sessions: its active facilitators, by name."""
    return [user for user in group.facilitators if user.is_active]


def groups_of_sessions(sessions: Iterable[MeetingSession]) -> list[Group]:
    """The sessions' groups, each once, in the order the sessions come."""
    return list({s.group_id: s.group for s in sessions}.values())


def memberships_of_group(group_id: int) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.group_id == group_id)))


def memberships_of_home(home_id: int) -> list[Membership]:
    return list(db.session.scalars(select(Membership).where(Membership.home_id == home_id)))


def member_home_ids(session: MeetingSession, memberships: Iterable[Membership] | None = None) -> set[int]:
    on = session.local_date
    rows = memberships if memberships is not None else memberships_of_group(session.group_id)
    return {m.home_id for m in rows if m.group_id == session.group_id and m.is_member_on(on)}


def member_contacts_on(day: date, group_id: int | None = None) -> list[Contact]:
    """Active contacts of the homes that are members on ``day`` of the group (of any group when
    None), with their homes: who a monthly ask or a questionnaire round goes to."""
    members = select(Membership.home_id).where(Membership.is_member_on(day))
    if group_id is not None:
        members = members.where(Membership.group_id == group_id)
    return list(db.session.scalars(select(Contact).where(Contact.is_active, Contact.home_id.in_(members))
                                   .options(selectinload(Contact.home)).order_by(Contact.id)))


def eligible_contacts(session: MeetingSession) -> dict[int, Contact]:
    """Active contacts of every home that is a member of the group on the session's date."""
    home_ids = member_home_ids(session)
    if not home_ids:
        return {}
    contacts = db.session.scalars(
        select(Contact).where(Contact.home_id.in_(home_ids), Contact.is_active).order_by(Contact.id))
    return {c.id: c for c in contacts}


def deliveries(session: MeetingSession) -> dict[int, InviteDelivery]:
    rows = db.session.scalars(select(InviteDelivery).where(InviteDelivery.session_id == session.id))
    return {d.contact_id: d for d in rows}


def delivery(session_id: int, contact_id: int) -> InviteDelivery | None:
    return db.session.scalar(select(InviteDelivery).where(
        InviteDelivery.session_id == session_id, InviteDelivery.contact_id == contact_id))


def open_sessions_of_groups(group_ids: Iterable[int], now: datetime) -> list[MeetingSession]:
    """Sessions of these groups that have not ended yet (scheduled or cancelled)."""
    ids = list(group_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(MeetingSession).where(MeetingSession.group_id.in_(ids), MeetingSession.ends_at > now)
        .order_by(MeetingSession.starts_at, MeetingSession.id)))


def sessions_with_invited(contact_id: int, now: datetime) -> list[MeetingSession]:
    return list(db.session.scalars(
        select(MeetingSession).join(InviteDelivery, InviteDelivery.session_id == MeetingSession.id)
        .where(InviteDelivery.contact_id == contact_id, MeetingSession.ends_at > now)))


def home_sessions(home_id: int, since: datetime) -> list[MeetingSession]:
    """The home's group sessions from ``since`` on, counting only dates the home was a member."""
    memberships = memberships_of_home(home_id)
    group_ids = {m.group_id for m in memberships}
    if not group_ids:
        return []
    candidates = db.session.scalars(
        select(MeetingSession).options(selectinload(MeetingSession.group))
        .where(MeetingSession.group_id.in_(group_ids), MeetingSession.ends_at > since)
        .order_by(MeetingSession.starts_at, MeetingSession.id))
    return [s for s in candidates if home_id in member_home_ids(s, memberships)]


def next_session_for_home(home_id: int, now: datetime, exclude: int | None = None) -> MeetingSession | None:
    """The home's next scheduled session that has not ended (it may be on right now)."""
    for session in home_sessions(home_id, now):
        if session.id != exclude and session.status == SessionStatus.SCHEDULED:
            return session
    return None


def session_visible_to_home(session: MeetingSession, home_id: int) -> bool:
    return home_id in member_home_ids(session)


def home_attendance(home_id: int, session_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """Per session: (what to show, attended?). The facilitator's register wins; where none was
    taken, a join through a personal link during the meeting counts as joined."""
    ids = list(session_ids)
    if not ids:
        return {}
    shown: dict[int, tuple[str, bool]] = {sid: ("Joined through the link", True)
                                          for sid in joined_session_ids(home_id, ids)}
    entries = db.session.execute(select(AttendanceEntry.session_id, AttendanceEntry.status).where(
        AttendanceEntry.home_id == home_id, AttendanceEntry.session_id.in_(ids),
        AttendanceEntry.status.is_not(None)))
    for session_id, status in entries:
        shown[session_id] = (AttendanceStatus(status).label, status in ATTENDED_STATUSES)
    return shown


def joined_session_ids(home_id: int, session_ids: Iterable[int]) -> set[int]:
    """Sessions someone from the home joined through their link while the meeting was open."""
    ids = list(session_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(JoinRecord.session_id).where(JoinRecord.home_id == home_id, JoinRecord.in_window,
                                            JoinRecord.session_id.in_(ids)).distinct()))


def is_opted_out(contact_id: int) -> bool:
    return db.session.scalar(
        select(ReminderOptOut.id).where(ReminderOptOut.contact_id == contact_id)) is not None


def newer_calendar_message(message: OutboxMessage) -> bool:
    """Is a later invite/update/cancel queued or sent to the same address for the same session?"""
    return db.session.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.session_id == message.session_id,
            OutboxMessage.contact_id == message.contact_id,
            OutboxMessage.to_email == message.to_email,
            OutboxMessage.kind.in_(CALENDAR_KINDS),
            OutboxMessage.id > message.id,
            OutboxMessage.status.in_([OutboxStatus.PENDING.value, OutboxStatus.SENT.value]),
        ).limit(1)) is not None


def highest_sequence(session_id: int, contact_id: int) -> int | None:
    """The highest SEQUENCE rendered for this contact and session (sent or maybe sent)."""
    return db.session.scalar(
        select(func.max(OutboxMessage.sequence)).where(
            OutboxMessage.session_id == session_id, OutboxMessage.contact_id == contact_id,
            OutboxMessage.sequence.is_not(None)))


def highest_sequences(session_ids: Iterable[int]) -> dict[int, int]:
    """Per session, the highest SEQUENCE rendered to anyone (sessions with none are left out)."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(OutboxMessage.session_id, func.max(OutboxMessage.sequence))
        .where(OutboxMessage.session_id.in_(ids), OutboxMessage.sequence.is_not(None))
        .group_by(OutboxMessage.session_id))
    return {session_id: sequence for session_id, sequence in rows}


def last_calendar_render(session_ids: Iterable[int]) -> datetime | None:
    """When an invite or cancel for one of these sessions was last rendered (its SEQUENCE fixed)."""
    ids = list(session_ids)
    if not ids:
        return None
    return db.session.scalar(select(func.max(OutboxMessage.rendered_at)).where(
        OutboxMessage.session_id.in_(ids), OutboxMessage.sequence.is_not(None)))


def session_messages(session_id: int) -> list[OutboxMessage]:
    """Every email of one session (invites, updates, cancellations, reminders), oldest first."""
    return list(db.session.scalars(
        select(OutboxMessage).options(selectinload(OutboxMessage.contact).selectinload(Contact.home))
        .where(OutboxMessage.session_id == session_id).order_by(OutboxMessage.id)))


def waiting_messages(session_id: int) -> list[int]:
    """The ids of the session's emails still to be sent (queued, retrying or being sent)."""
    return list(db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.session_id == session_id, OutboxMessage.status == OutboxStatus.PENDING)))


def outbox_counts() -> dict[str, int]:
    rows = db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({status: n for status, n in rows})
    return counts


def outbox_messages(status: str, limit: int = 200) -> list[OutboxMessage]:
    order = OutboxMessage.id.desc() if status != OutboxStatus.PENDING else OutboxMessage.id
    return list(db.session.scalars(
        select(OutboxMessage)
        .options(selectinload(OutboxMessage.session), selectinload(OutboxMessage.series),
                 selectinload(OutboxMessage.contact))
        .where(OutboxMessage.status == status).order_by(order).limit(limit)))


def invite_summary(session: MeetingSession) -> dict[str, int]:
    """Counts for a session's page: how many are invited, and where their latest email stands."""
    rows = list(deliveries(session).values())
    counts = Counter(d.status for d in rows if d.status != "skipped")
    return {"invited": sum(1 for d in rows if d.is_invited), "sent": counts["sent"],
            "waiting": counts["pending"], "failed": counts["failed"]}
