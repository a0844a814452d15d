"""A series in the JSON API: its rule, the UID and SEQUENCE its invitations carry, its sessions."""

from __future__ import annotations

import re

from flask import abort, g
from pydantic import Field

from facilitator.access import READERS, can_see_group
from facilitator.api.core import operation
from facilitator.api.schemas import Output
from facilitator.api.sessions import SessionOut, UtcTime
from facilitator.extensions import db
from facilitator.invites.series import series_sessions
from facilitator.models import Series

# A series id is a UUID: anything else names no series (and never reaches the database).
_SERIES_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class RuleOut(Output):
    every: str = Field(description="week, fortnight or month")
    count: int = Field(description="How many sessions the series was booked with (or has, once ended early)")
    until: UtcTime | None = Field(default=None, description="The last start, once the series was ended early")
    monthly_by: str | None = Field(default=None, description="A monthly series: date or weekday")


class SeriesDetail(Output):
    id: str
    group_id: int
    ical_uid: str = Field(description="The UID of the one calendar entry every invitation carries")
    sequence: int = Field(description="The highest SEQUENCE sent for that UID")
    rule: RuleOut
    sessions: list[SessionOut]


def series_or_404(series_id: str) -> Series:
    """A series the signed-in user may see; another group's answers 404, as if it did not exist."""
    row = db.session.get(Series, series_id) if _SERIES_ID.fullmatch(series_id) else None
    if row is None or not can_see_group(g.user, row.group):
        abort(404)
    return row


@operation("/series/<series_id>", "GET", roles=READERS, response=SeriesDetail,
           summary="A series invited as one calendar entry: its rule, UID, SEQUENCE and sessions")
def get_series(series_id: str) -> SeriesDetail:
    row = series_or_404(series_id)
    rule = RuleOut(every=row.rule, count=row.count, until=row.until, monthly_by=row.monthly_by)
    return SeriesDetail(id=row.id, group_id=row.group_id, ical_uid=row.ical_uid, sequence=row.sequence,
                        rule=rule, sessions=[SessionOut.of(s) for s in series_sessions(row)])
