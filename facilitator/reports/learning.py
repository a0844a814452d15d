"""Learning: the pre/post questionnaires' change per statement (issue 20). The questionnaires are
not built yet, so the section says the results are not available; this is where they plug in."""

from __future__ import annotations

from typing import Any

from facilitator.reports.filters import ReportFilters


def learning(filters: ReportFilters) -> dict[str, Any]:
    return {"available": False}
