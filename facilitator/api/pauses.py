"""A home's pauses (issue 18): ``/api/v1/homes/<id>/pauses`` and ``/api/v1/pauses/<id>``.

Admins and the facilitators of the home's groups add and end them; leads read. Every rule (the
order of the dates, the reasons, an overlap, a pause already over) is the service's,
``facilitator.absence.pauses``, which names the fields ``from``, ``to``, ``reason``, ``note``
as the API does. Ending a pause that has not started yet deletes it: 204.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, g
from pydantic import ConfigDict, Field

from facilitator.absence import pauses
from facilitator.access import MANAGERS, READERS, can_read_home, get_or_404, managed_home, managed_record
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output
from facilitator.clock import local_today, now_utc
from facilitator.models import CareHome
from facilitator.models.engagement import HomePause


class PauseOut(Output):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, populate_by_name=True)

    id: int
    home_id: int
    starts_on: date = Field(alias="from", description="The first day of the pause")
    ends_on: date = Field(alias="to", description="The last day of the pause (included)")
    reason: str
    note: str
    created_at: datetime
    ended_early_at: datetime | None = Field(description="When it was ended before its planned last day")

    @classmethod
    def of(cls, pause: HomePause) -> PauseOut:
        return cls(id=pause.id, home_id=pause.home_id, starts_on=pause.starts_on, ends_on=pause.ends_on,
                   reason=pause.reason, note=pause.note, created_at=pause.created_at,
                   ended_early_at=pause.ended_early_at)


class PauseList(Output):
    pauses: list[PauseOut]


class PauseCreate(Input):
    """Dates and reason are required; they are optional here so that the service names every
    missing or wrong field at once."""

    starts_on: date | None = Field(default=None, alias="from", description="The first day (required)")
    ends_on: date | None = Field(default=None, alias="to", description="The last day, included (required)")
    reason: str | None = Field(default=None, max_length=40, json_schema_extra={"enum": list(pauses.REASONS)},
                               description="Required")
    note: str = Field(default="", max_length=pauses.MAX_NOTE)


@operation("/homes/<int:home_id>/pauses", "GET", roles=READERS, response=PauseList,
           summary="A home's pauses, latest first")
def list_pauses(home_id: int) -> PauseList:
    home = get_or_404(CareHome, home_id)
    if not can_read_home(g.user, home.id):
        abort(403)
    return PauseList(pauses=[PauseOut.of(p) for p in pauses.home_pauses(home.id)])


@operation("/homes/<int:home_id>/pauses", "POST", roles=MANAGERS, body=PauseCreate, response=PauseOut,
           status=201, summary="Pause a home for a period: it is not expected at sessions inside it")
def create_pause(home_id: int, body: PauseCreate) -> PauseOut:
    home = managed_home(home_id)
    data = pauses.PauseInput(body.starts_on, body.ends_on, body.reason, body.note)
    return PauseOut.of(pauses.add_pause(home.id, data, g.user, now_utc()))


@operation("/pauses/<int:pause_id>", "DELETE", roles=MANAGERS, response=PauseOut, empty_status=204,
           summary="End a pause today (200, the pause); one not started yet is deleted (204)")
def end_pause(pause_id: int) -> PauseOut | None:
    pause = managed_record(HomePause, pause_id)
    ended = pauses.end_pause(pause, local_today(), now_utc())
    return PauseOut.of(ended) if ended is not None else None
