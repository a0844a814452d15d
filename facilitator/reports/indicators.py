"""Implementation indicators over the period's months (``indicators.programme.totals``)."""

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
            for row in totals(first, scope.filters.date_to, scope.filters.group_id)]
