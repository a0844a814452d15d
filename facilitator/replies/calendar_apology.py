"""A home's apology from its calendar answers (issue 18): when every invited contact of a home has
DECLINED a session, the home has one apology with source ``calendar`` (no contact, reason
``other``, note ``DECLINED_NOTE``); an ACCEPTED from any of them later withdraws it. Reading the
same replies again changes nothing. The register follows through ``absence.apologies``' one rule.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from facilitator.absence.apologies import sync_register_entry
from facilitator.extensions import db
from facilitator.models import MeetingSession
from facilitator.models.engagement import DECLINED_NOTE, Apology, ApologyReason, ApologySource
from facilitator.replies.queries import home_replies


def sync_calendar_apology(session: MeetingSession, home_id: int, now: datetime) -> None:
    """After a calendar answer from one of the home's contacts: every invited contact declined
    → the home's calendar apology stands; an acceptance → it is withdrawn. Flushes only."""
    replies = home_replies(session.id).get(home_id)
    apology = db.session.scalar(select(Apology).where(
        Apology.session_id == session.id, Apology.home_id == home_id,
        Apology.source == ApologySource.CALENDAR.value).order_by(Apology.id).limit(1))
    if replies is not None and replies.all_declined:
        if apology is None:
            db.session.add(Apology(session_id=session.id, home_id=home_id, contact_id=None,
                                   reason=ApologyReason.OTHER.value, note=DECLINED_NOTE,
                                   source=ApologySource.CALENDAR.value, created_at=now))
        elif apology.withdrawn_at is not None:
            apology.created_at, apology.withdrawn_at, apology.digested_at = now, None, None
    elif replies is not None and replies.accepted and apology is not None and apology.standing:
        apology.withdrawn_at = now
    else:
        return
    db.session.flush()
    sync_register_entry(session, home_id)
