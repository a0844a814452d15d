"""The TIP journey: per domain, the change from each home's first to its latest round started in
the period (``journey.progress.compare``, the one comparison rule), and actions done, open and
overdue (``journey.action_queries.progress_by_home``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.journey.action_queries import progress_by_home
from facilitator.journey.frameworks import current_framework
from facilitator.journey.progress import compare
from facilitator.models import Assessment
from facilitator.reports.scope import Scope


def _rounds(scope: Scope) -> dict[int, list[tuple[int, dict[str, int | None]]]]:
    found: dict[int, list[tuple[int, dict[str, int | None]]]] = defaultdict(list)
    if not scope.home_ids:
        return found
    for a in db.session.scalars(select(Assessment).options(selectinload(Assessment.ratings)).where(
            Assessment.home_id.in_(scope.home_ids),
            Assessment.started_on.between(scope.filters.date_from, scope.filters.date_to))):
        found[a.home_id].append((a.round, {r.domain_key: r.rating for r in a.ratings}))
    return found


def assessments(scope: Scope) -> list[dict[str, Any]]:
    framework = current_framework()
    keys = framework.domain_keys()
    changes: dict[str, list[int]] = {key: [] for key in keys}
    for rounds in _rounds(scope).values():
        for progress in compare(keys, rounds):
            if progress.change is not None:
                changes[progress.key].append(progress.change)
    return [{"domain": d.key, "title": d.title, "homes_compared": len(changes[d.key]),
             "mean_change": round(sum(changes[d.key]) / len(changes[d.key]), 2) if changes[d.key] else None,
             "up": sum(1 for c in changes[d.key] if c > 0), "same": sum(1 for c in changes[d.key] if c == 0),
             "down": sum(1 for c in changes[d.key] if c < 0)} for d in framework.domains]


def actions(scope: Scope) -> dict[str, int]:
    rows = progress_by_home(scope.filters.date_to, scope.home_ids)
    return {"homes_with_plans": len(rows), "done": sum(r.done for r in rows),
            "open": sum(r.open for r in rows),
            "overdue": sum(r.overdue for r in rows)}


def journey(scope: Scope) -> dict[str, Any]:
    return {"assessments": assessments(scope), "actions": actions(scope)}
