"""Reads of plans and summaries: one session's, many sessions' at once, and whether a session's
invitations went out (which decides if a changed plan sends an update)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.models import MeetingSession, OutboxMessage, Resource, SessionPlan, SessionSummary
from facilitator.models.invites import CALENDAR_KINDS


def plan_of(session_id: int) -> SessionPlan | None:
    return db.session.scalar(select(SessionPlan).where(SessionPlan.session_id == session_id))


def summary_of(session_id: int) -> SessionSummary | None:
    return db.session.scalar(select(SessionSummary).where(SessionSummary.session_id == session_id))


def plans_for(session_ids: Iterable[int]) -> dict[int, SessionPlan]:
    """Session id → its plan (with a theme or an agenda), in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(SessionPlan).where(SessionPlan.session_id.in_(ids))
                              .options(selectinload(SessionPlan.resources)))
    return {p.session_id: p for p in rows if not p.is_empty}


def sent_summaries_for(session_ids: Iterable[int]) -> dict[int, SessionSummary]:
    """Session id → its summary, once sent (a draft shows to nobody outside the staff)."""
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(SessionSummary).where(
        SessionSummary.session_id.in_(ids), SessionSummary.sent_at.is_not(None))
        .options(selectinload(SessionSummary.resources)))
    return {s.session_id: s for s in rows}


def known_resources(resource_ids: Iterable[int]) -> dict[int, Resource]:
    """Resource id → the library's resource, for those of these ids that exist."""
    ids = set(resource_ids)
    if not ids:
        return {}
    return {r.id: r for r in db.session.scalars(select(Resource).where(Resource.id.in_(ids)))}


def invitations_went_out(session: MeetingSession) -> bool:
    """Has a calendar email of this session (or of its series) been built, and so perhaps sent?
    Before that, the waiting invitations are rendered with the plan as it is at send time."""
    mine = OutboxMessage.session_id == session.id
    theirs = OutboxMessage.series_id == session.series_id if session.series_id else None
    where = mine if theirs is None else or_(mine, theirs)
    found = db.session.scalar(select(OutboxMessage.id).where(
        and_(where, OutboxMessage.kind.in_(CALENDAR_KINDS), OutboxMessage.rendered_at.is_not(None)))
        .limit(1))
    return found is not None
