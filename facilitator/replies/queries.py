"""Reads for the pages: each home's calendar answers for a session, in one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from facilitator.extensions import db
from facilitator.models import CalendarReply, CareHome, Contact, InviteDelivery, Method, PartStat

KNOWN = frozenset(p.value for p in PartStat)


@dataclass(frozen=True)
class HomeReplies:
    """How a home's invited contacts answered one session from their calendars."""

    home_id: int
    home_name: str
    invited: int
    accepted: int = 0
    declined: int = 0
    tentative: int = 0

    @property
    def answered(self) -> int:
        return self.accepted + self.declined + self.tentative

    @property
    def all_declined(self) -> bool:
        """Every contact invited declined: the home sends its apologies (issue 15 gives them a place)."""
        return self.invited > 0 and self.declined == self.invited

    @property
    def label(self) -> str:
        """"Accepted 2 · Declined 1"; empty when nobody answered."""
        counts = ((PartStat.ACCEPTED, self.accepted), (PartStat.TENTATIVE, self.tentative),
                  (PartStat.DECLINED, self.declined))
        return " · ".join(f"{stat.label} {n}" for stat, n in counts if n)


def home_replies(session_id: int) -> dict[int, HomeReplies]:
    """Per home id, the answers of the contacts invited to the session now (a contact whose
    invitation was cancelled no longer counts); homes by name."""
    rows = db.session.execute(
        select(Contact.home_id, CareHome.name, CalendarReply.partstat, func.count())
        .select_from(InviteDelivery)
        .join(Contact, Contact.id == InviteDelivery.contact_id)
        .join(CareHome, CareHome.id == Contact.home_id)
        .outerjoin(CalendarReply, and_(CalendarReply.session_id == InviteDelivery.session_id,
                                       CalendarReply.contact_id == InviteDelivery.contact_id))
        .where(InviteDelivery.session_id == session_id, InviteDelivery.method == Method.REQUEST.value)
        .group_by(Contact.home_id, CareHome.name, CalendarReply.partstat)
        .order_by(CareHome.name)).all()
    counts: dict[int, dict[str, object]] = {}
    for home_id, name, partstat, n in rows:
        entry = counts.setdefault(home_id, {"home_id": home_id, "home_name": name, "invited": 0})
        entry["invited"] = int(entry["invited"]) + n  # type: ignore[call-overload]
        if partstat in KNOWN:
            entry[PartStat(partstat).name.lower()] = n
    return {home_id: HomeReplies(**entry) for home_id, entry in counts.items()}  # type: ignore[arg-type]
