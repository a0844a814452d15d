"""Attendance and commitment over the period, engagement at its start and end and the movements
between them, apologies by reason and pauses: all read from the engagement report
(``attendance.report``), its apology reasons (``attendance.reasons``) and ``absence.pauses``."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from facilitator.absence.pauses import pauses_for
from facilitator.attendance.engagement import EngagementStatus
from facilitator.attendance.reasons import REASONS, apology_reasons
from facilitator.attendance.report import Report
from facilitator.reports.scope import Scope

STATUSES = [s.value for s in EngagementStatus]
NOT_A_MEMBER = "not_a_member"


def _mean(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 3) if known else None


def attendance(scope: Scope) -> dict[str, Any]:
    """Per group, the homes' mean attendance rate and commitment; per month, the registers' share."""
    rows = scope.rows()
    by_group = []
    for block in scope.period.blocks:
        ours = [r for r in rows if r.group.id == block.group.id]
        by_group.append({"group_id": block.group.id, "group": block.group.name,
                         "rate": _mean([r.engagement.rate for r in ours]),
                         "commitment": _mean([r.engagement.commitment for r in ours])})
    months: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for block in scope.period.blocks:
        for column in block.sessions:
            month = months[column.day.strftime("%Y-%m")]
            month[0] += column.attended
            month[1] += column.expected
    by_month = [{"month": key, "attended": a, "expected": e, "share": round(a / e, 3) if e else None}
                for key, (a, e) in sorted(months.items())]
    return {"rate": _mean([r.engagement.rate for r in rows]),
            "commitment": _mean([r.engagement.commitment for r in rows]),
            "by_group": by_group, "by_month": by_month}


def _statuses(scope: Scope, report: Report) -> dict[tuple[int, int], str]:
    return {(r.group.id, r.home.id): r.engagement.status.value for r in scope.rows(report)}


def engagement(scope: Scope) -> dict[str, Any]:
    """Status counts at the start and the end of the period, and the (start → end) pairs."""
    start = _statuses(scope, scope.report_as_of(scope.filters.date_from))
    end = _statuses(scope, scope.report_as_of(scope.filters.date_to))
    pairs = Counter((start.get(key, NOT_A_MEMBER), end.get(key, NOT_A_MEMBER)) for key in {*start, *end})
    return {"start": {s: sum(1 for v in start.values() if v == s) for s in STATUSES},
            "end": {s: sum(1 for v in end.values() if v == s) for s in STATUSES},
            "transitions": [{"from": a, "to": b, "homes": n} for (a, b), n in sorted(pairs.items())]}


def apologies(scope: Scope) -> dict[str, Any]:
    filters = scope.filters.engagement(start=scope.filters.date_from, end=scope.filters.date_to)
    months = apology_reasons(filters, zone=scope.zone, now=scope.now)
    totals = {reason.value: sum(m.count(reason) for m in months) for reason in REASONS}
    return {"by_reason": totals, "total": sum(totals.values()),
            "by_month": [{"month": m.month, **m.counts} for m in months]}


def pauses(scope: Scope) -> dict[str, Any]:
    found = pauses_for(scope.home_ids, scope.filters.date_from, scope.filters.date_to)
    every = [p for spans in found.values() for p in spans]
    reasons = Counter(p.reason for p in every)
    return {"pauses": len(every), "homes_paused": sum(1 for spans in found.values() if spans),
            "by_reason": dict(sorted(reasons.items()))}
