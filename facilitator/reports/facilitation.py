"""Facilitation: sessions held per facilitator (those of the groups they facilitate) and their
supervision cadence from the lead's overview (``supervision.queries.overview``). Counts and dates
only: nothing of a supervision record's text, themes or reflections is read here."""

from __future__ import annotations

from typing import Any

from facilitator.extensions import db
from facilitator.models import Group
from facilitator.reports.scope import Scope
from facilitator.supervision.queries import overview


def facilitation(scope: Scope) -> list[dict[str, Any]]:
    sessions: dict[int, int] = {}
    for block in scope.period.blocks:
        for person in db.session.get(Group, block.group.id).facilitators:
            sessions[person.id] = sessions.get(person.id, 0) + len(block.sessions)
    first, last = scope.filters.date_from, scope.filters.date_to
    return [{"facilitator": s.facilitator.name, "sessions": sessions.get(s.facilitator.id, 0),
             "supervision_in_period": sum(1 for d in s.cadence.dates if first <= d <= last),
             "kept": s.cadence.kept, "missed": s.cadence.missed, "status": s.cadence.status}
            for s in overview(last)]
