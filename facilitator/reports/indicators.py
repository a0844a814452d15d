"""Implementation indicators over the period's months (``indicators.programme.totals``), of the
homes the region and council-area filters keep."""

from __future__ import annotations

from typing import Any

from facilitator.indicators.programme import SUMMED, totals
from facilitator.reports.scope import Scope


def indicators(scope: Scope) -> list[dict[str, Any]]:
    first = scope.filters.date_from.replace(day=1)
    return [{"month": row.month.strftime("%Y-%m"), "homes": row.homes,
             **{name: getattr(row, name) for name in SUMMED},
             "plans_share": row.plans_share, "meetings_share": row.meetings_share,
             "trained_by_level": dict(row.trained_by_level)}
            for row in totals(first, scope.filters.date_to, scope.filters.group_id, _narrowed(scope))]


def _narrowed(scope: Scope) -> set[int] | None:
    """The homes covered when the region or council-area filter narrows them; else every home's
    return counts (the group filter is the returns' own: membership on each month's 1st)."""
    narrowed = scope.filters.region or scope.filters.local_authority
    return scope.home_ids if narrowed else None
