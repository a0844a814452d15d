"""A session's plan and summary over the API (issue 19).

The group's facilitators and admins write them; leads and supervisors are refused (403); another
group's facilitator gets 404, as if the session did not exist. The rules, and the 422 naming each
field, are the service's (``facilitator.plans.services``). There is no operation that reads a
confidential note into a summary, and there will be none.
"""

from __future__ import annotations

from typing import TypeVar

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, session_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId
from facilitator.api.sessions import UtcTime
from facilitator.clock import now_utc
from facilitator.invites import plan_queries as queries
from facilitator.models import MeetingSession, SessionPlan, SessionSummary
from facilitator.plans import services


class PlanIn(Input):
    theme: str = Field(default="", description="At most 200 characters")
    agenda: str = Field(default="", description="At most 2000 characters")
    resource_ids: list[RowId] = Field(default_factory=list, description="Resources of the library")


class PlanOut(Output):
    session_id: int
    theme: str
    agenda: str
    resource_ids: list[int]
    updated_at: UtcTime

    @classmethod
    def of(cls, plan: SessionPlan) -> PlanOut:
        return cls(session_id=plan.session_id, theme=plan.theme, agenda=plan.agenda,
                   resource_ids=[r.id for r in plan.resources],
                   updated_at=plan.updated_at)


class SummaryIn(Input):
    text: str = Field(default="", description="Sent to every home of the group: not confidential. "
                                              "At most 5000 characters")
    resource_ids: list[RowId] = Field(default_factory=list, description="Resources of the library")


class SummaryOut(Output):
    session_id: int
    text: str
    resource_ids: list[int]
    updated_at: UtcTime
    sent_at: UtcTime | None
    queued: int = Field(description="Emails queued when it was sent")

    @classmethod
    def of(cls, summary: SessionSummary) -> SummaryOut:
        return cls(session_id=summary.session_id, text=summary.text,
                   resource_ids=[r.id for r in summary.resources],
                   updated_at=summary.updated_at, sent_at=summary.sent_at, queued=summary.queued)


T = TypeVar("T")


class SentOut(Output):
    queued: int


def _or_404(record: T | None) -> T:
    if record is None:
        abort(404)
    return record


def _managed(session_id: int) -> MeetingSession:
    session = session_or_404(session_id)
    if not session.can_manage(g.user):
        abort(403)
    return session


@operation("/sessions/<int:session_id>/plan", "GET", roles=READERS, response=PlanOut,
           summary="The session's plan (404 when it has none)")
def get_plan(session_id: int) -> PlanOut:
    return PlanOut.of(_or_404(queries.plan_of(session_or_404(session_id).id)))


@operation("/sessions/<int:session_id>/summary", "GET", roles=READERS, response=SummaryOut,
           summary="The session's summary, sent or not (404 when none is written)")
def get_summary(session_id: int) -> SummaryOut:
    return SummaryOut.of(_or_404(queries.summary_of(session_or_404(session_id).id)))


@operation("/sessions/<int:session_id>/plan", "PUT", roles=MANAGERS, body=PlanIn, response=PlanOut,
           summary="Set the session's plan (theme, agenda); once invitations went out, an update is sent")
def put_plan(session_id: int, body: PlanIn) -> PlanOut:
    session = _managed(session_id)
    data = services.PlanData(body.theme, body.agenda, body.resource_ids)
    return PlanOut.of(services.save_plan(session, data, g.user, now_utc()))


@operation("/sessions/<int:session_id>/summary", "PUT", roles=MANAGERS, body=SummaryIn, response=SummaryOut,
           summary="Write the session's summary for every home of the group (not the confidential note)")
def put_summary(session_id: int, body: SummaryIn) -> SummaryOut:
    session = _managed(session_id)
    data = services.SummaryData(body.text, body.resource_ids)
    return SummaryOut.of(services.save_summary(session, data, g.user, now_utc()))


@operation("/sessions/<int:session_id>/summary/send", "POST", roles=MANAGERS, response=SentOut, status=202,
           summary="Send the summary to every active contact of every member home, once (409 after)")
def send_summary(session_id: int) -> SentOut:
    session = _managed(session_id)
    return SentOut(queued=services.send_summary(session, g.user, now_utc()))
