"""Sessions in the JSON API: book (one or a series), list, read, change and cancel."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from flask import g
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, RootModel

from facilitator import transaction
from facilitator.access import MANAGERS, READERS, get_or_404, session_or_404, visible_group_ids
from facilitator.api.core import operation
from facilitator.api.schemas import MAX_ROW_ID, Input, Output, RowId, patch_fields
from facilitator.booking import queries, services, times
from facilitator.clock import now_utc, zone, zone_name
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import Group, MeetingSession, Provider
from facilitator.providers import hub

MAX_LIST = 1000
# Times in answers are UTC with a trailing Z.
UtcTime = Annotated[datetime, PlainSerializer(times.utc_text, return_type=str)]


class RepeatIn(Input):
    every: Literal["week", "fortnight", "month"]
    count: int = Field(ge=1, le=services.MAX_SERIES)
    monthly_by: Literal["date", "weekday"] = Field(
        default="date", description="Monthly: the same date (the last day of shorter months) or the "
        "same weekday of the month (e.g. the second Tuesday; a fifth one means the last)")
    skip_holidays: bool = Field(default=False, description="Leave Scottish bank holidays out; the "
                                "series runs on to keep count sessions")


class SessionCreate(Input):
    group_id: RowId
    title: str = Field(max_length=services.MAX_TITLE)
    starts_at: datetime = Field(description="ISO 8601; with an offset or Z, or naive for the app's zone")
    duration_minutes: int | None = Field(default=None, description="15 to 480; or give ends_at")
    ends_at: datetime | None = None
    provider: Provider | None = None
    join_url: str | None = Field(default=None, max_length=2000, description="Only for provider link")
    repeat: RepeatIn | None = None
    allow_clash: bool = Field(default=False, description="Book even when a facilitator of the group is "
                              "already booked then (otherwise 409 naming the clash in starts_at)")
    record_only: bool = Field(default=False, description="Record sessions that already happened (no "
                              "meeting, no invitations); a past starts_at is refused (422) without it")


class SessionUpdate(Input):
    title: str | None = Field(default=None, max_length=services.MAX_TITLE)
    starts_at: datetime | None = None
    duration_minutes: int | None = None
    scope: Literal["this", "following"] = "this"
    version: int | None = Field(default=None, ge=1, le=MAX_ROW_ID,
                                description="The version you last saw; 409 if changed")
    allow_clash: bool = Field(default=False, description="Keep the new time even when a facilitator of "
                              "the group is already booked then (otherwise 409 naming the clash in "
                              "starts_at)")
    record_only: bool = Field(default=False, description="A new starts_at that has passed is a record of a "
                              "session that already happened; refused (422) without it")


class SessionQuery(Input):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    group_id: RowId | None = None
    from_: datetime | date | None = Field(default=None, alias="from")
    to: datetime | date | None = None
    limit: int = Field(default=500, ge=1, le=MAX_LIST)


class CancelQuery(Input):
    scope: Literal["this", "following"] = "this"
    version: int | None = Field(default=None, ge=1, le=MAX_ROW_ID)


class SessionOut(Output):
    id: int
    group_id: int
    series_id: str | None
    title: str
    starts_at: UtcTime
    ends_at: UtcTime
    duration_minutes: int
    timezone: str
    status: str
    provider: str
    provider_meeting_id: str | None
    join_url: str | None
    passcode: str | None
    dial_in: str | None
    sync_state: str
    sync_action: str
    sync_error: str | None
    next_sync_at: UtcTime | None
    ical_uid: str
    sequence: int
    version: int

    @classmethod
    def of(cls, s: MeetingSession) -> SessionOut:
        return cls(id=s.id, group_id=s.group_id, series_id=s.series_id, title=s.title,
                   starts_at=s.starts_at, ends_at=s.ends_at, duration_minutes=s.duration_minutes,
                   timezone=s.timezone, status=s.status, provider=s.provider,
                   provider_meeting_id=s.provider_meeting_id, join_url=s.join_url, passcode=s.passcode,
                   dial_in=s.dial_in, sync_state=s.sync_state, sync_action=s.sync_action,
                   sync_error=s.sync_error, next_sync_at=s.next_sync_at, ical_uid=s.ical_uid,
                   sequence=s.sequence, version=s.version)


class SeriesOut(Output):
    series_id: str
    sessions: list[SessionOut]
    warnings: list[str] = Field(default_factory=list, description="e.g. the series crosses a clock change")


class Booked(RootModel[SessionOut | SeriesOut]):
    """One session, or ``{series_id, sessions}`` when ``repeat`` made several."""


class SessionList(Output):
    sessions: list[SessionOut]


def _aware(moment: datetime) -> datetime:
    """A naive time means the app's configured zone."""
    return moment.replace(tzinfo=zone()) if moment.tzinfo is None else moment


def _bound(value: datetime | date | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return _aware(value) if value else None
    return datetime.combine(value, time(), tzinfo=zone())


def _fresh(ids: list[int]) -> list[MeetingSession]:
    db.session.expire_all()
    return [db.session.get(MeetingSession, i) for i in ids]


def _duration(body: SessionCreate) -> Any:
    if body.ends_at is None:
        if body.duration_minutes is None:
            raise DomainError("Some of the details need correcting.",
                              {"duration_minutes": "Give duration_minutes (or ends_at)."})
        return body.duration_minutes
    minutes = (_aware(body.ends_at) - _aware(body.starts_at)).total_seconds() / 60
    if minutes <= 0:
        raise DomainError("The session must end after it starts.", {"ends_at": "Must be after starts_at."})
    if body.duration_minutes is not None and body.duration_minutes != minutes:
        raise DomainError("ends_at and duration_minutes disagree.",
                          {"ends_at": "Give ends_at or duration_minutes, not two different lengths."})
    if minutes != int(minutes):
        raise DomainError("Give whole minutes.", {"ends_at": "The length must be whole minutes."})
    return int(minutes)


@operation("/sessions", "POST", roles=MANAGERS, body=SessionCreate, response=Booked, status=201,
           summary="Book a session, or a series with repeat; the provider's meeting follows (sync_state)")
def create_session(body: SessionCreate) -> BaseModel:
    group = db.session.get(Group, body.group_id)
    if group is None:
        raise DomainError("There is no such group.", {"group_id": "No group has this id."})
    services.require_manager(g.user, group)
    booking = services.Booking(
        title=body.title, starts_at=_aware(body.starts_at), duration_minutes=_duration(body),
        provider=body.provider.value if body.provider else None, join_url=body.join_url,
        every=body.repeat.every if body.repeat else None, count=body.repeat.count if body.repeat else 1,
        monthly_by=body.repeat.monthly_by if body.repeat else "date",
        skip_holidays=bool(body.repeat and body.repeat.skip_holidays),
        allow_clash=body.allow_clash, record_only=body.record_only)
    result = services.book_sessions(g.user, group, booking, hub(), zone=zone_name(), now=now_utc())
    ids = [s.id for s in result.sessions]
    transaction.commit()  # the answer shows where each meeting stands after the first push
    sessions = [SessionOut.of(s) for s in _fresh(ids)]
    if result.series_id is None:
        return Booked(sessions[0])
    return Booked(SeriesOut(series_id=result.series_id, sessions=sessions, warnings=result.warnings))


@operation("/sessions", "GET", roles=READERS, query=SessionQuery, response=SessionList,
           summary="Sessions, soonest first; filter by group and by start (from inclusive, to exclusive)")
def list_sessions(query: SessionQuery) -> SessionList:
    rows = queries.sessions_between(query.group_id, _bound(query.from_), _bound(query.to), query.limit,
                                    only_groups=visible_group_ids(g.user))
    return SessionList(sessions=[SessionOut.of(s) for s in rows])


@operation("/sessions/<int:session_id>", "GET", roles=READERS, response=SessionOut, summary="One session")
def get_session(session_id: int) -> SessionOut:
    return SessionOut.of(session_or_404(session_id))


@operation("/sessions/<int:session_id>", "PATCH", roles=MANAGERS, body=SessionUpdate, response=SessionOut,
           summary="Change title, start or length (scope: this or following); version detects conflicts")
def update_session(session_id: int, body: SessionUpdate) -> SessionOut:
    session = get_or_404(MeetingSession, session_id)
    changes = patch_fields(body, nullable=frozenset({"version"}))
    kwargs: dict[str, Any] = {k: changes[k] for k in ("title", "duration_minutes") if k in changes}
    if "starts_at" in changes:
        kwargs["starts_at"] = _aware(changes["starts_at"])
    services.reschedule_sessions(g.user, session, now=now_utc(), scope=body.scope,
                                 expected_version=body.version, allow_clash=body.allow_clash,
                                 record_only=body.record_only, **kwargs)
    transaction.commit()
    return SessionOut.of(_fresh([session_id])[0])


@operation("/sessions/<int:session_id>", "DELETE", roles=MANAGERS, query=CancelQuery, response=SessionOut,
           summary="Cancel (the session stays, with status cancelled; its meeting is deleted)")
def cancel_session(session_id: int, query: CancelQuery) -> SessionOut:
    session = get_or_404(MeetingSession, session_id)
    services.cancel_sessions(g.user, session, now=now_utc(), scope=query.scope,
                             expected_version=query.version)
    transaction.commit()
    return SessionOut.of(_fresh([session_id])[0])
