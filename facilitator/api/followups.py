"""Follow-ups over the API (issue 18).

The group's facilitators and admins act; leads read every one; another facilitator's answers
404, as if it did not exist. The rules (and the 422 naming each field: a snooze in the past, an
unknown channel, a contact of another home, closing without an outcome) are the service's,
``facilitator.followups.services``.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId, present_fields
from facilitator.clock import now_utc
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.followups import missed_you, queries, services
from facilitator.models import FollowUp, FollowUpContact, FollowUpState

STATES = [s.value for s in FollowUpState]


class FollowUpContactOut(Output):
    channel: str
    contact_id: int | None
    outcome: str
    next_step: str
    next_on: date | None
    logged_by: str | None = Field(description="The name of who logged it")
    logged_at: datetime

    @classmethod
    def of(cls, row: FollowUpContact) -> FollowUpContactOut:
        return cls(channel=row.channel, contact_id=row.contact_id, outcome=row.outcome,
                   next_step=row.next_step, next_on=row.next_on,
                   logged_by=row.logged_by.name if row.logged_by else None, logged_at=row.logged_at)


class FollowUpOut(Output):
    id: int
    home_id: int
    group_id: int
    reason: str
    state: str
    opened_at: datetime
    snooze_until: date | None
    escalated_at: datetime | None
    contacts: list[FollowUpContactOut]

    @classmethod
    def of(cls, f: FollowUp) -> FollowUpOut:
        return cls(id=f.id, home_id=f.home_id, group_id=f.group_id, reason=f.reason, state=f.state,
                   opened_at=f.opened_at, snooze_until=f.snooze_until, escalated_at=f.escalated_at,
                   contacts=[FollowUpContactOut.of(c) for c in f.contacts])


class FollowUpList(Output):
    follow_ups: list[FollowUpOut]


class FollowUpQuery(Input):
    state: str | None = Field(default=None, json_schema_extra={"enum": STATES})
    group_id: RowId | None = None
    home_id: RowId | None = None


class FollowUpContactIn(Input):
    channel: str = Field(max_length=20, description="phone, email, visit, video or other")
    contact_id: RowId | None = Field(default=None, description="A contact of the follow-up's home")
    outcome: str = Field(max_length=5000,
                         description="What came of it: not confidential, no resident details")
    next_step: str = Field(default="", max_length=5000)
    next_on: date | None = None


class FollowUpUpdate(Input):
    state: str | None = Field(default=None, description="snoozed or closed")
    snooze_until: date | None = Field(default=None, description="A day after today")
    outcome: str | None = Field(default=None, description="re_engaged, paused, withdrawn or other (to close)")
    outcome_note: str | None = Field(default=None, max_length=5000)


class MissedYouOut(Output):
    follow_up_id: int
    session_id: int
    contact_ids: list[int]
    missed_you_sent_at: datetime


def _follow_up(follow_up_id: int, *, act: bool) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id)
    if not (queries.can_act if act else queries.can_read)(g.user, follow_up):
        abort(404)
    return follow_up


@operation("/follow-ups", "GET", roles=READERS, query=FollowUpQuery, response=FollowUpList,
           summary="Follow-ups of homes that are slipping (facilitators: their groups'), with filters "
                   "state, group_id, home_id")
def list_follow_ups(query: FollowUpQuery) -> FollowUpList:
    if query.state is not None and query.state not in STATES:
        raise DomainError(FIELDS_INVALID, {"state": services.one_of(tuple(STATES))})
    rows = queries.follow_ups_for(g.user, state=query.state, group_id=query.group_id, home_id=query.home_id)
    return FollowUpList(follow_ups=[FollowUpOut.of(f) for f in rows])


@operation("/follow-ups/<int:follow_up_id>/contacts", "POST", roles=MANAGERS, body=FollowUpContactIn,
           response=FollowUpOut, status=201, summary="Log a contact with the follow-up's home")
def log_follow_up_contact(follow_up_id: int, body: FollowUpContactIn) -> FollowUpOut:
    follow_up = _follow_up(follow_up_id, act=True)
    services.log_contact(follow_up, services.ContactData(**body.model_dump()), by=g.user)
    return FollowUpOut.of(follow_up)


@operation("/follow-ups/<int:follow_up_id>", "PATCH", roles=MANAGERS, body=FollowUpUpdate,
           response=FollowUpOut, summary="Snooze a follow-up until a date, or close it with an outcome")
def update_follow_up(follow_up_id: int, body: FollowUpUpdate) -> FollowUpOut:
    follow_up = _follow_up(follow_up_id, act=True)
    changes = present_fields(body)
    if changes.get("state") is None:  # implied by what was sent
        changes["state"] = FollowUpState.CLOSED.value if "outcome" in changes else FollowUpState.SNOOZED.value
    return FollowUpOut.of(services.change_state(follow_up, changes, by=g.user))


@operation("/follow-ups/<int:follow_up_id>/missed-you", "POST", roles=MANAGERS, response=MissedYouOut,
           status=202, summary="Send the home's contacts “We missed you” with the next session (once)")
def send_missed_you(follow_up_id: int) -> MissedYouOut:
    follow_up = _follow_up(follow_up_id, act=True)
    session, people = missed_you.send(follow_up, now_utc())
    return MissedYouOut(follow_up_id=follow_up.id, session_id=session.id,
                        contact_ids=[c.id for c in people], missed_you_sent_at=follow_up.missed_you_sent_at)
