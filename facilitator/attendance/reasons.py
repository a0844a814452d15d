"""The reasons homes gave in their apologies, by the month of the session: the leads' dashboard
shows them as a small table beside the engagement report (one statement)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, func, select

from facilitator.attendance.filters import Filters, home_filter, session_filter
from facilitator.extensions import db
from facilitator.models import CareHome, MeetingSession
from facilitator.models.engagement import Apology, ApologyReason

REASONS = tuple(ApologyReason)


@dataclass
class ReasonMonth:
    month: str  # "YYYY-MM"
    counts: dict[str, int] = field(default_factory=dict)  # reason value → standing apologies

    @property
    def label(self) -> str:
        """"March 2026"."""
        return date.fromisoformat(f"{self.month}-01").strftime("%B %Y")

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, reason: ApologyReason) -> int:
        return self.counts.get(reason.value, 0)


def apology_reasons(filters: Filters, *, zone: ZoneInfo, now: datetime) -> list[ReasonMonth]:
    """Standing (not withdrawn) apologies for the report's sessions, counted by the session's month
    and the reason, oldest month first. An apology's reason outside the known ones counts as other."""
    month = func.substr(cast(MeetingSession.starts_on, String), 1, 7)
    statement = (select(month, Apology.reason, func.count())
                 .join(MeetingSession, MeetingSession.id == Apology.session_id)
                 .where(*session_filter(filters, zone, now), Apology.withdrawn_at.is_(None))
                 .group_by(month, Apology.reason).order_by(month))
    if filters.region:
        statement = statement.join(CareHome, CareHome.id == Apology.home_id).where(*home_filter(filters))
    months: dict[str, ReasonMonth] = {}
    known = {reason.value for reason in REASONS}
    for key, reason, count in db.session.execute(statement):
        row = months.setdefault(key, ReasonMonth(key))
        reason = reason if reason in known else ApologyReason.OTHER.value
        row.counts[reason] = row.counts.get(reason, 0) + count
    return list(months.values())
