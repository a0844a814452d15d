"""The reflective supervision log over the API.

A facilitator records their supervision and reads their own log in full (each record read is
audited). Everyone else gets dates, cadence and action counts only: a supervisor for their
supervisees, a lead or admin for every facilitator. Themes, reflections and action texts are
only ever returned to their author.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from flask import abort, g
from pydantic import Field, StringConstraints

from facilitator.access import FACILITATOR, STAFF, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId
from facilitator.clock import local_today
from facilitator.database import writes_on_get
from facilitator.errors import DomainError
from facilitator.models import Role, User
from facilitator.models.supervision import VIA_API, SupervisionComment, SupervisionFormat, SupervisionRecord
from facilitator.supervision import comments, queries, services
from facilitator.supervision.http import no_store, request_origin
from facilitator.supervision.services import (
    MAX_ACTION,
    MAX_ACTIONS,
    MAX_TEXT,
    MAX_THEMES,
    ActionInput,
    RecordContent,
    RecordInput,
)

# The service names its fields after the columns; the API after the request body.
FIELD_NAMES = {"held_on": "date", "next_on": "next_date"}


class ActionIn(Input):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_ACTION)]
    done: bool = False


class SupervisionCreate(Input):
    date: dt.date
    supervisor_id: RowId | None = None
    external_supervisor: str | None = Field(default=None, max_length=200)
    minutes: int = Field(ge=5, le=600)
    format: SupervisionFormat
    themes: list[str] = Field(default_factory=list, max_length=MAX_THEMES)
    reflections: str = Field(default="", max_length=MAX_TEXT)
    actions: list[ActionIn] = Field(default_factory=list, max_length=MAX_ACTIONS)
    next_date: dt.date | None = None
    shared_with_supervisor: bool = False


class SupervisionQuery(Input):
    facilitator_id: RowId | None = None


class ActionOut(Output):
    text: str
    done: bool


class RecordDates(Output):
    """What anyone but the author sees of a record."""

    id: int
    date: dt.date
    actions_total: int
    actions_done: int

    @classmethod
    def of(cls, record: SupervisionRecord) -> RecordDates:
        return cls(id=record.id, date=record.held_on, actions_total=len(record.actions),
                   actions_done=record.actions_done)


class RecordFull(RecordDates):
    """The whole record, for its author."""

    supervisor_id: int | None
    supervisor_name: str
    external_supervisor: str | None
    minutes: int
    format: str
    themes: list[str]
    reflections: str
    actions: list[ActionOut]
    next_date: dt.date | None
    shared_with_supervisor: bool

    @classmethod
    def full(cls, record: SupervisionRecord, content: RecordContent) -> RecordFull:
        return cls(**RecordDates.of(record).model_dump(), supervisor_id=record.supervisor_id,
                   supervisor_name=record.supervisor_name, external_supervisor=record.external_supervisor,
                   minutes=record.minutes, format=record.format, themes=content.themes,
                   reflections=content.reflections,
                   actions=[ActionOut(text=text, done=a.is_done) for a, text in content.actions],
                   next_date=record.next_on, shared_with_supervisor=record.is_shared_with_supervisor)


class CommentIn(Input):
    text: str = Field(max_length=comments.MAX_COMMENT)


class CommentOut(Output):
    id: int
    author_id: int
    author_name: str
    author_role: str
    created_at: dt.datetime
    text: str

    @classmethod
    def of(cls, comment: SupervisionComment, text: str) -> CommentOut:
        return cls(id=comment.id, author_id=comment.author_id, author_name=comment.author.name,
                   author_role=comment.author.role, created_at=comment.created_at, text=text)


class CommentList(Output):
    comments: list[CommentOut]


class CadenceOut(Output):
    months: int
    last_date: dt.date | None
    due_date: dt.date | None
    overdue: bool
    kept: int
    missed: int

    @classmethod
    def of(cls, c: queries.Cadence) -> CadenceOut:
        return cls(months=c.months, last_date=c.last_on, due_date=c.due_on, overdue=c.overdue,
                   kept=c.kept, missed=c.missed)


class FacilitatorLog(Output):
    facilitator_id: int
    facilitator_name: str
    cadence: CadenceOut
    actions_total: int
    actions_done: int
    records: list[RecordFull | RecordDates]


class SupervisionList(Output):
    facilitators: list[FacilitatorLog]


@operation("/supervision", "POST", roles=FACILITATOR, body=SupervisionCreate, response=RecordFull,
           status=201, summary="Record a supervision you had (themes, reflections and actions are encrypted)")
def record_supervision(body: SupervisionCreate) -> RecordFull:
    data = RecordInput(
        held_on=body.date, minutes=body.minutes, format=body.format.value, supervisor_id=body.supervisor_id,
        external_supervisor=body.external_supervisor, themes=body.themes, reflections=body.reflections,
        actions=[ActionInput(a.text, a.done) for a in body.actions], next_on=body.next_date,
        shared=body.shared_with_supervisor)
    try:
        record = services.record_supervision(g.user, data, request_origin(), local_today())
    except DomainError as exc:
        raise DomainError(exc.message, {_api_name(k): v for k, v in exc.fields.items()}) from None
    no_store()
    content = RecordContent(services.clean_themes(body.themes), body.reflections,
                            [(a, text.text) for a, text in zip(record.actions, body.actions, strict=True)])
    return RecordFull.full(record, content)


def _api_name(field: str) -> str:
    return FIELD_NAMES.get(field, field)


def _people(user: User, facilitator_id: int | None) -> list[User]:
    if user.role == Role.FACILITATOR:
        if facilitator_id not in (None, user.id):
            services.refuse("read", "supervision_log", facilitator_id, facilitator_id, user, request_origin())
        return [user]
    people = queries.facilitators(supervisor=user if user.role == Role.SUPERVISOR else None)
    if facilitator_id is not None:
        people = [p for p in people if p.id == facilitator_id]
        if not people:
            abort(404)
    return people


@operation("/supervision", "GET", roles=STAFF, query=SupervisionQuery, response=SupervisionList,
           summary="Supervision logs: your own in full; supervisees' (supervisor) or everyone's "
                   "(lead, admin) as dates, cadence and action counts only")
@writes_on_get
def list_supervision(query: SupervisionQuery) -> SupervisionList:
    user, today, origin = g.user, local_today(), request_origin()
    logs = []
    for person in _people(user, query.facilitator_id):
        summary = queries.summary(person, today)
        records: list[RecordFull | RecordDates] = [
            RecordFull.full(r, services.read_record(r, user, origin)) if r.can_read(user, VIA_API)
            else RecordDates.of(r) for r in summary.records]
        logs.append(FacilitatorLog(
            facilitator_id=person.id, facilitator_name=person.name, cadence=CadenceOut.of(summary.cadence),
            actions_total=summary.actions_total, actions_done=summary.actions_done, records=records))
    no_store()
    return SupervisionList(facilitators=logs)


@operation("/supervision/<int:record_id>/comments", "GET", roles=STAFF, response=CommentList,
           summary="Comments on a shared record: to the facilitator all of them, to the supervisor it is "
                   "shared with their own (the API hands confidential text only to its author)")
@writes_on_get
def list_supervision_comments(record_id: int) -> CommentList:
    record = get_or_404(SupervisionRecord, record_id)
    opened = comments.read_comments(record, g.user, request_origin())
    no_store()
    return CommentList(comments=[CommentOut.of(c, text) for c, text in opened])


@operation("/supervision/<int:record_id>/comments", "POST", roles=STAFF, body=CommentIn, response=CommentOut,
           status=201, summary="Comment on a shared record: its supervisor, or the facilitator in reply "
                               "(encrypted)")
def add_supervision_comment(record_id: int, body: CommentIn) -> CommentOut:
    record = get_or_404(SupervisionRecord, record_id)
    origin = request_origin()
    comments.check_can_comment(record, g.user, origin)
    try:
        comment = comments.add_comment(record, g.user, body.text, origin)
    except DomainError as exc:
        fields = {"text" if name == "body" else name: text for name, text in exc.fields.items()}
        raise DomainError(exc.message, fields) from None
    no_store()
    return CommentOut.of(comment, body.text.strip())
