"""Writes for plans and summaries: the rules, the changed plan's update, the summary's one send.

A plan changed once the session's invitations went out queues an update the way a changed
session does (a higher SEQUENCE, then ``invites.hooks.session_changed``): a single session gets
an updated invitation, a series' contacts their series entry again, the occurrence carrying its
plan as an override (``invites.series_render``). Before that nothing is queued: waiting
invitations are rendered with the plan as it is when they go.

A summary is sent once (``send_summary``), through the outbox, to every active contact of every
home that was a member of the group on the session's date, present or not. It is never made
from the confidential session note: nothing here reads one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update

from facilitator.booking.revisions import flush_or_conflict
from facilitator.errors import FIELDS_INVALID, ConflictError, DomainError
from facilitator.extensions import db
from facilitator.invites import hooks
from facilitator.invites import plan_queries as queries
from facilitator.invites import queries as invite_queries
from facilitator.invites.services import new_message
from facilitator.models import (
    Contact,
    MeetingSession,
    MessageKind,
    Resource,
    SessionPlan,
    SessionSummary,
    User,
)
from facilitator.models.plans import AGENDA_MAX, SUMMARY_MAX, THEME_MAX

REASON = "summary"


@dataclass(frozen=True)
class PlanData:
    theme: str = ""
    agenda: str = ""
    resource_ids: Sequence[int] = ()


@dataclass(frozen=True)
class SummaryData:
    text: str = ""
    resource_ids: Sequence[int] = ()


def _too_long(value: str, limit: int) -> str | None:
    return f"At most {limit} characters (this has {len(value)})." if len(value) > limit else None


def _resource_problem(resource_ids: Sequence[int]) -> str | None:
    unknown = sorted(set(resource_ids) - queries.known_resources(resource_ids).keys())
    if not unknown:
        return None
    return f"No resource of the library has the id {', '.join(str(i) for i in unknown)}."


def _resources(resource_ids: Sequence[int]) -> list[Resource]:
    known = queries.known_resources(resource_ids)
    return [known[i] for i in dict.fromkeys(resource_ids)]


def _collect(**checks: str | None) -> dict[str, str]:
    return {name: problem for name, problem in checks.items() if problem}


def plan_problems(data: PlanData) -> dict[str, str]:
    """Every problem with a plan at once, by field."""
    return _collect(theme=_too_long(data.theme.strip(), THEME_MAX),
                    agenda=_too_long(data.agenda.strip(), AGENDA_MAX),
                    resource_ids=_resource_problem(data.resource_ids))


def summary_problems(data: SummaryData) -> dict[str, str]:
    return _collect(text=_too_long(data.text.strip(), SUMMARY_MAX),
                    resource_ids=_resource_problem(data.resource_ids))


def _refuse(problems: dict[str, str]) -> None:
    if problems:
        raise DomainError(FIELDS_INVALID, problems)


def _writable(session: MeetingSession) -> None:
    if session.is_cancelled:
        raise ConflictError("This session was cancelled, so it has no plan or summary to change.",
                            {"status": "The session is cancelled."})


def save_plan(session: MeetingSession, data: PlanData, user: User, now: datetime) -> SessionPlan:
    """Write the plan; once invitations went out, a change queues the updated invitation. Flushes."""
    _refuse(plan_problems(data))
    _writable(session)
    plan = queries.plan_of(session.id) or SessionPlan(session_id=session.id)
    theme, agenda, resources = data.theme.strip(), data.agenda.strip(), _resources(data.resource_ids)
    before = (plan.theme or "", plan.agenda or "", {r.id for r in plan.resources})
    changed = before != (theme, agenda, {r.id for r in resources})
    plan.theme, plan.agenda, plan.updated_at, plan.updated_by_id = theme, agenda, now, user.id
    plan.resources = resources
    db.session.add(plan)
    db.session.flush()
    if changed and session.starts_at > now and queries.invitations_went_out(session):
        session.sequence += 1
        flush_or_conflict()
        hooks.session_changed(session)
    return plan


def save_summary(session: MeetingSession, data: SummaryData, user: User, now: datetime) -> SessionSummary:
    """Write the summary (a draft until sent; once sent it stays as the homes got it). Flushes."""
    _refuse(summary_problems(data))
    _writable(session)
    summary = queries.summary_of(session.id) or SessionSummary(session_id=session.id)
    if summary.sent_at is not None:
        raise _already_sent(summary)
    summary.text, summary.updated_at, summary.updated_by_id = data.text.strip(), now, user.id
    summary.resources = _resources(data.resource_ids)
    db.session.add(summary)
    db.session.flush()
    return summary


def _already_sent(summary: SessionSummary) -> ConflictError:
    when = summary.sent_at.isoformat() if summary.sent_at else ""
    return ConflictError(f"This summary was already sent, on {summary.sent_at:%d %B %Y at %H:%M} UTC; "
                         "it goes to the homes once.", {"sent_at": when})


def recipients(session: MeetingSession) -> list[Contact]:
    """Every active contact (with an address) of every home that was a member of the group on the
    session's date: the invitations' rule, present at the session or not."""
    return [c for c in invite_queries.eligible_contacts(session).values() if c.email]


def sendable(session: MeetingSession, now: datetime) -> tuple[SessionSummary, list[Contact]]:
    """The summary and who gets it, or why it cannot go (the preview asks the same)."""
    _writable(session)
    summary = queries.summary_of(session.id)
    if summary is not None and summary.sent_at is not None:
        raise _already_sent(summary)
    if summary is None or not summary.text.strip():
        raise DomainError("Write the summary before sending it.", {"text": "The summary is empty."})
    if session.starts_at > now:
        raise DomainError("A summary can be sent once the session has taken place.",
                          {"session": "The session has not started yet."})
    people = recipients(session)
    if not people:
        raise DomainError("No home of the group has an active contact to send it to.",
                          {"contacts": "No active contact."})
    return summary, people


def send_summary(session: MeetingSession, user: User, now: datetime) -> int:
    """Queue the summary to every recipient, once; returns how many were queued. Flushes.

    The conditional UPDATE on ``sent_at IS NULL`` decides between two sends at the same time:
    the one whose row count is 0 lost and is refused, saying when it was sent."""
    summary, people = sendable(session, now)
    won = db.session.execute(
        update(SessionSummary).where(SessionSummary.id == summary.id, SessionSummary.sent_at.is_(None))
        .values(sent_at=now, sent_by_id=user.id, queued=len(people))
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(summary)
    if won != 1:
        raise _already_sent(summary)
    for contact in people:
        new_message(MessageKind.SUMMARY, REASON, contact, contact.email, session)
    db.session.flush()
    return len(people)
