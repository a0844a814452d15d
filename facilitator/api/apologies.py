"""A session's apologies over the API (issue 18): every apology its homes sent, withdrawn ones
too (with ``withdrawn_at``), in the order they came. Whoever may see the session reads them;
another group's facilitator gets 404, as if the session did not exist. A calendar apology (every
invited contact of the home declined) has no ``contact_id``."""

from __future__ import annotations

from datetime import datetime

from facilitator.absence import apologies
from facilitator.access import READERS, session_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Output
from facilitator.models.engagement import Apology


class ApologyOut(Output):
    home_id: int
    contact_id: int | None
    reason: str  # outbreak_or_illness, staffing, technology or other
    note: str
    created_at: datetime
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, apology: Apology) -> ApologyOut:
        return cls(home_id=apology.home_id, contact_id=apology.contact_id, reason=apology.reason,
                   note=apology.note, created_at=apology.created_at, withdrawn_at=apology.withdrawn_at)


class ApologyList(Output):
    apologies: list[ApologyOut]


@operation("/sessions/<int:session_id>/apologies", "GET", roles=READERS, response=ApologyList,
           summary="Every apology the session's homes sent, withdrawn ones too (withdrawn_at), oldest first")
def session_apologies(session_id: int) -> ApologyList:
    session = session_or_404(session_id)
    return ApologyList(apologies=[ApologyOut.of(a) for a in apologies.for_session(session.id)])
