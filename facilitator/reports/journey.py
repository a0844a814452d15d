"""The TIP journey: per domain, the change from each home's first to its latest round started in
the period (``journey.progress.compare``, the one comparison rule), and actions done, open and
overdue (``journey.action_queries.progress_by_home``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.journey.action_queries import progress_by_home
from facilitator.journey.frameworks import current_framework
from facilitator.journey.progress import compare
from facilitator.models import Assessment, AssessmentRating
from facilitator.reports.scope import Scope


def _rounds(scope: Scope) -> dict[int, list[tuple[int, dict[str, int | None]]]]:
    """Each home's rounds started in the period with their ratings: one statement, however many
    homes (a loader would split its IN list every 500 rounds)."""
    found: dict[int, list[tuple[int, dict[str, int | None]]]] = defaultdict(list)
    if not scope.home_ids:
        return found
    ratings: dict[int, tuple[int, int, dict[str, int | None]]] = {}
    for assessment_id, home_id, number, key, rating in db.session.execute(
            select(Assessment.id, Assessment.home_id, Assessment.round, AssessmentRating.domain_key,
                   AssessmentRating.rating)
            .outerjoin(AssessmentRating, AssessmentRating.assessment_id == Assessment.id)
            .where(Assessment.home_id.in_(scope.home_ids),
                   Assessment.started_on.between(scope.filters.date_from, scope.filters.date_to))
            .order_by(Assessment.home_id, Assessment.round)):
        _, _, by_key = ratings.setdefault(assessment_id, (home_id, number, {}))
        if key is not None:
            by_key[key] = rating
    for home_id, number, by_key in ratings.values():
        found[home_id].append((number, by_key))
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
