"""A session's versions: the revision kept at each one, and the refusal of a change made from an
older version that says what changed since, and who changed it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from facilitator.clock import as_local
from facilitator.errors import ConflictError
from facilitator.extensions import db
from facilitator.models import MeetingSession, MeetingSessionRevision, User


def check_version(session: MeetingSession, expected: int | None) -> None:
    """Refuse a change based on an older version, saying what changed since."""
    if expected is None or expected == session.version:
        return
    seen = None
    if 1 <= expected < session.version:  # any other number names no revision (and may not fit a column)
        seen = db.session.scalar(select(MeetingSessionRevision).where(
            MeetingSessionRevision.session_id == session.id, MeetingSessionRevision.version == expected))
    fields = describe_changes(seen, session) if seen is not None else {}
    if not fields:
        fields = {"version": f"The session is now at version {session.version}, not {expected}."}
    who = _changed_by(session)
    raise ConflictError(
        f"{who} changed this session while you were editing it: {'; '.join(fields.values())}. "
        "Your changes were not saved. Check the session and make them again.", fields)


def describe_changes(seen: MeetingSessionRevision, session: MeetingSession) -> dict[str, str]:
    changes = {}
    if seen.title != session.title:
        changes["title"] = f"the title is now “{session.title}”"
    if seen.starts_at != session.starts_at:
        local = as_local(session.starts_at, session.timezone)
        changes["starts_at"] = f"it now starts {local:%A %-d %B %Y at %H:%M}"
    if seen.ends_at - seen.starts_at != session.ends_at - session.starts_at:
        changes["duration_minutes"] = f"it now lasts {session.duration_minutes} minutes"
    if seen.status != session.status:
        changes["status"] = f"it is now {session.status}"
    return changes


def _changed_by(session: MeetingSession) -> str:
    latest = db.session.scalar(select(MeetingSessionRevision).where(
        MeetingSessionRevision.session_id == session.id,
        MeetingSessionRevision.version == session.version))
    return latest.changed_by.name if latest is not None and latest.changed_by else "Someone else"


def flush_or_conflict() -> None:
    try:
        db.session.flush()
    except StaleDataError as exc:
        raise ConflictError("Someone else changed this session at the same time. Nothing was saved; "
                            "reload it and try again.", {"version": "Changed by someone else."}) from exc


def add_revision(session: MeetingSession, user: User | None, now: datetime) -> None:
    db.session.add(MeetingSessionRevision(
        session_id=session.id, version=session.version, title=session.title,
        starts_at=session.starts_at, ends_at=session.ends_at, status=session.status,
        changed_by=user, changed_at=now))
