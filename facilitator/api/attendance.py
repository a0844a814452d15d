"""Attendance over the API: a session's register (read, write with its version in ``If-Match``,
import from the provider) and every home's engagement."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from flask import Response, abort, g, jsonify, request
from pydantic import Field, RootModel, ValidationError, field_validator, model_validator

from facilitator import transaction
from facilitator.access import MANAGERS, READERS, get_or_404, visible_group_ids
from facilitator.api.core import operation, validation_error
from facilitator.api.schemas import Input, Output, RowId
from facilitator.attendance import filters as report_filters
from facilitator.attendance import register, register_page, report, worker
from facilitator.attendance.engagement import RatingTrend
from facilitator.attendance.register import MAX_COMMENT, MAX_STAFF, UNSET, RegisterConflict, RowInput
from facilitator.clock import DAY_RANGE_MESSAGE, day_in_range, now_utc, zone
from facilitator.errors import DomainError, json_error
from facilitator.forms import read_json
from facilitator.models import MeetingSession, can_manage_group
from facilitator.models.attendance import AttendanceStatus, can_read_register
from facilitator.models.engagement import Apology

_VERSION = re.compile(r'^\s*(?:W/)?"?([^"\s]*)"?\s*$')
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"  # text without control characters


# Shapes ----------------------------------------------------------------------------------------

class EntryApologyOut(Output):
    reason: str  # outbreak_or_illness, staffing, technology or other
    note: str
    created_at: datetime


class EntryOut(Output):
    home_id: int
    home_name: str
    status: str | None
    staff_count: int | None
    engagement: int | None
    minutes_attended: int | None
    source: str | None
    comment: str
    apology: EntryApologyOut | None = Field(
        default=None, description="The home's first standing apology for the session (issue 18)")
    paused: bool = Field(default=False, description="A pause of the home covers the session's date: "
                                                    "not expected, left out of its engagement")


class UnmatchedOut(Output):
    name: str
    email: str | None
    minutes: int


class RegisterOut(Output):
    version: int
    entries: list[EntryOut]
    unmatched: list[UnmatchedOut]

    @classmethod
    def of(cls, view: register_page.RegisterView) -> RegisterOut:
        entries = []
        for line in view.lines:
            e = line.entry
            entries.append(EntryOut(
                home_id=line.home.id, home_name=line.home.name, status=e.status if e else None,
                staff_count=e.staff_count if e else None, engagement=e.engagement if e else None,
                minutes_attended=e.minutes_attended if e else None, source=e.source if e else None,
                comment=(e.comment or "") if e else "", apology=_apology_out(line.apology),
                paused=line.pause is not None))
        unmatched = [UnmatchedOut(name=p.name, email=p.email, minutes=p.minutes) for p in view.unmatched]
        return cls(version=view.version, entries=entries, unmatched=unmatched)


def _apology_out(apology: Apology | None) -> EntryApologyOut | None:
    if apology is None:
        return None
    return EntryApologyOut(reason=apology.reason, note=apology.note, created_at=apology.created_at)


class RowIn(Input):
    home_id: RowId
    status: AttendanceStatus
    staff_count: int | None = Field(default=None, ge=0, le=MAX_STAFF)
    engagement: int | None = Field(default=None, ge=1, le=4)
    comment: str | None = Field(default="", max_length=MAX_COMMENT, pattern=NO_CONTROL)
    # Optional: a manager or team leader took part (leave out to keep what is recorded).
    senior_present: bool | None = None


class RegisterIn(RootModel[list[RowIn]]):
    root: list[RowIn] = Field(max_length=2000)


class ChangeOut(Output):
    home_id: int
    home_name: str
    field: str
    before: str | int | bool | None
    after: str | int | bool | None
    by: str | None = None


class ImportOut(Output):
    state: str
    message: str
    changes: list[ChangeOut]
    would_change: list[ChangeOut]
    unmatched: int
    next_try_at: str | None


class ImportIn(Input):
    overwrite_manual: bool = False


class EngagementQuery(Input):
    group_id: RowId | None = None
    region: str | None = Field(default=None, max_length=100, pattern=NO_CONTROL)
    date_from: date | None = Field(default=None, alias="from")
    date_to: date | None = Field(default=None, alias="to")

    @field_validator("date_from", "date_to")
    @classmethod
    def _known_day(cls, day: date | None) -> date | None:
        if not day_in_range(day):
            raise ValueError(DAY_RANGE_MESSAGE)
        return day

    @model_validator(mode="after")
    def _range(self) -> EngagementQuery:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError("'to' is before 'from'.")
        return self


class HomeEngagementOut(Output):
    home_id: int
    home_name: str
    group_id: int
    expected: int
    attended: int
    rate: float | None
    last_attended: date | None
    missed_in_a_row: int  # not attended, with or without notice
    status: str  # engaged, at_risk, disengaged, withdrawn, new or paused
    senior_share: float | None
    apologies: int = 0  # expected sessions missed with notice (excused) in the period
    commitment: float | None = None  # (attended + apologies) / expected; rate is attended / expected
    missed_without_notice_in_a_row: int = 0
    paused: bool = False  # a pause of the home covers the day the report is as of
    protected_time: bool
    rating_count: int = 0  # engagement ratings in the period
    rating_average: float | None = None
    rating_trend: str | None = None  # "up", "down" or "steady": later half of the ratings vs earlier half
    rating_earlier: float | None = None  # the earlier half's average


class EngagementOut(Output):
    homes: list[HomeEngagementOut]


# The register --------------------------------------------------------------------------------

def _session(session_id: int, *, write: bool) -> MeetingSession:
    session = get_or_404(MeetingSession, session_id)
    allowed = can_manage_group if write else can_read_register
    if not allowed(g.user, session.group):
        abort(403)
    return session


def _register_response(session: MeetingSession, status: int = 200) -> Response:
    view = register_page.register_view(session)
    response = jsonify(RegisterOut.of(view).model_dump(mode="json"))
    response.status_code = status
    response.headers["ETag"] = f'"{view.version}"'
    return response


@operation("/sessions/<int:session_id>/attendance", "GET", roles=READERS, response=RegisterOut,
           summary="A session's register: every member home, and the people an import could not place. "
                   "The ETag is the register's version.")
def get_attendance(session_id: int) -> Response:
    return _register_response(_session(session_id, write=False))


def expected_version() -> int:
    match = _VERSION.match(request.headers.get("If-Match", ""))
    version = register.parse_version(match.group(1)) if match else None
    if version is None:
        raise DomainError(
            "Send the version you started from as If-Match (the ETag or \"version\" of GET), so that "
            "nobody's changes are overwritten unseen. A register never saved is version 0.",
            {"If-Match": "Required."})
    return version


@operation("/sessions/<int:session_id>/attendance", "PUT", roles=MANAGERS, body=RegisterIn,
           response=RegisterOut,
           summary="Record homes' attendance, all or nothing. Needs If-Match with the version read "
                   "(0 before the first save); a newer version answers 409, its fields saying what "
                   "changed and its ETag the current version.")
def put_attendance(session_id: int, body: RegisterIn) -> Response:
    session = _session(session_id, write=True)
    version = expected_version()
    rows = [RowInput(home_id=r.home_id, status=r.status.value, staff_count=r.staff_count,
                     engagement=r.engagement, comment=(r.comment or "").strip(),
                     senior_present=r.senior_present if "senior_present" in r.model_fields_set else UNSET)
            for r in body.root]
    try:
        register.save_register(session, rows, expected_version=version, user=g.user, now=now_utc())
    except RegisterConflict as exc:
        transaction.rollback()
        response = json_error(409, exc.message, exc.fields)
        response.headers["ETag"] = f'"{exc.version}"'
        return response
    return _register_response(session)


@operation("/sessions/<int:session_id>/attendance/import", "POST", roles=MANAGERS, response=ImportOut,
           summary="Import the register from the Zoom or Teams report. Optional body "
                   "{\"overwrite_manual\": true} also replaces entries people typed. state: done, "
                   "queued (the worker tries again at next_try_at) or failed (message says why).")
def import_attendance(session_id: int) -> ImportOut:
    session = _session(session_id, write=True)
    options = _import_options()
    outcome = worker.import_now(session, user=g.user, overwrite_manual=options.overwrite_manual)
    summary = outcome.summary
    return ImportOut(
        state=outcome.state, message=outcome.message,
        changes=[ChangeOut(**c.as_dict()) for c in (summary.changes if summary else [])],
        would_change=[ChangeOut(**c.as_dict()) for c in (summary.proposals if summary else [])],
        unmatched=summary.unmatched if summary else 0,
        next_try_at=outcome.next_try_at.isoformat() if outcome.next_try_at else None)


def _import_options() -> ImportIn:
    data = read_json() if request.get_data() else {}
    if data is None:
        raise DomainError("The body must be JSON (or empty).", {"body": "Not valid JSON."})
    try:
        return ImportIn.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc


# Engagement ----------------------------------------------------------------------------------

@operation("/engagement", "GET", roles=READERS, query=EngagementQuery, response=EngagementOut,
           summary="Every home's engagement per group (facilitators: their own groups), with filters "
                   "group_id, region, from, to (dates).")
def engagement(query: EngagementQuery) -> EngagementOut:
    only = visible_group_ids(g.user)
    filters = report_filters.Filters(group_id=query.group_id, region=query.region or None,
                                     date_from=query.date_from, date_to=query.date_to, only_groups=only)
    engagement_report = report.engagement_report(filters, now=now_utc(), zone=zone())
    return EngagementOut(homes=[_home_out(row) for row in engagement_report.rows])


def _home_out(row: report.HomeRow) -> HomeEngagementOut:
    e = row.engagement
    return HomeEngagementOut(
        home_id=row.home.id, home_name=row.home.name, group_id=row.group.id, expected=e.expected,
        attended=e.attended, rate=round(e.rate, 4) if e.rate is not None else None,
        last_attended=e.last_attended, missed_in_a_row=e.missed_in_a_row, status=e.status.value,
        senior_share=round(e.senior_share, 4) if e.senior_share is not None else None,
        apologies=e.apologies, commitment=round(e.commitment, 4) if e.commitment is not None else None,
        missed_without_notice_in_a_row=e.missed_without_notice_in_a_row, paused=e.paused,
        protected_time=row.home.protected_time_agreed, **_rating_out(row.rating))


def _rating_out(rating: RatingTrend | None) -> dict[str, Any]:
    if rating is None:
        return {}
    earlier = round(rating.earlier, 2) if rating.earlier is not None else None
    return {"rating_count": rating.count, "rating_average": round(rating.average, 2),
            "rating_trend": rating.direction, "rating_earlier": earlier}
