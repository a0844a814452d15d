"""Learning: the questionnaires' pre/post change (issue 20's questionnaires, built separately).
Until they are merged, the section says it is not available."""

from __future__ import annotations

from typing import Any

from facilitator.reports.filters import ReportFilters


def learning(filters: ReportFilters) -> dict[str, Any]:
    return {"available": False}
