"""Every figure of the programme report, JSON-safe (numbers, strings, lists, mappings), each
section from its own module."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from facilitator.clock import now_utc
from facilitator.clock import zone as display_zone
from facilitator.reports import conditions, engagement, facilitation, indicators, journey, learning, reach
from facilitator.reports.filters import ReportFilters
from facilitator.reports.scope import build_scope


def figures(filters: ReportFilters, *, now: datetime | None = None,
            zone: ZoneInfo | None = None) -> dict[str, Any]:
    scope = build_scope(filters, now or now_utc(), zone or display_zone())
    return {"filters": filters.as_dict(), "reach": reach.reach(scope),
            "attendance": engagement.attendance(scope), "engagement": engagement.engagement(scope),
            "apologies": engagement.apologies(scope), "pauses": engagement.pauses(scope),
            "conditions": conditions.conditions(scope), "journey": journey.journey(scope),
            "indicators": indicators.indicators(scope), "learning": learning.learning(filters),
            "facilitation": facilitation.facilitation(scope)}
