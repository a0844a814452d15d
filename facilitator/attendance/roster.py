"""Who is on a session's register: the homes that were members of its group on its date.

This is the one membership rule the registers, imports and reports share
(``Membership.is_member_on``), applied to a session.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import CareHome, MeetingSession, Membership
from facilitator.models.attendance import AttendanceEntry, AttendanceRegister
from facilitator.models.invites import JoinRecord


def session_day(session: MeetingSession) -> date:
    """The session's date where it happens (membership is by date)."""
    return session.local_date


def member_homes(session: MeetingSession) -> list[CareHome]:
    """Every home that was a member of the session's group on the session's date."""
    return list(db.session.scalars(
        select(CareHome).join(Membership, Membership.home_id == CareHome.id)
        .where(Membership.group_id == session.group_id, Membership.is_member_on(session_day(session)))
        .order_by(CareHome.name, CareHome.id).distinct()))


def entries_by_home(session: MeetingSession) -> dict[int, AttendanceEntry]:
    rows = db.session.scalars(select(AttendanceEntry).where(AttendanceEntry.session_id == session.id))
    return {e.home_id: e for e in rows}


def register_of(session: MeetingSession) -> AttendanceRegister | None:
    return db.session.scalar(select(AttendanceRegister).where(AttendanceRegister.session_id == session.id))


def check_can_record(session: MeetingSession, now: datetime) -> None:
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so it has no register.")
    if session.starts_at > now:
        raise DomainError("The register opens when the session starts.")


def join_evidence(session: MeetingSession) -> dict[int, list[JoinRecord]]:
    """Join-link opens while the meeting could be joined (scanners and HEAD never get here)."""
    records: dict[int, list[JoinRecord]] = {}
    for record in db.session.scalars(select(JoinRecord).where(
            JoinRecord.session_id == session.id, JoinRecord.in_window.is_(True))
            .order_by(JoinRecord.joined_at)):
        records.setdefault(record.home_id, []).append(record)
    return records
