"""Facilitation: sessions held per facilitator (those of the groups they facilitate) and their
supervision cadence from the lead's overview (``supervision.queries.overview``). Counts and dates
only: nothing of a supervision record's text, themes or reflections is read here.

With a group chosen, only that group's facilitators are listed; otherwise every active one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import group_facilitators
from facilitator.reports.scope import Scope
from facilitator.supervision.queries import overview


def _sessions_by_facilitator(scope: Scope) -> dict[int, int]:
    held = {block.group.id: len(block.sessions) for block in scope.period.blocks}
    sessions: dict[int, int] = {}
    if held:
        for group_id, user_id in db.session.execute(
                select(group_facilitators.c.group_id, group_facilitators.c.user_id)
                .where(group_facilitators.c.group_id.in_(held))):
            sessions[user_id] = sessions.get(user_id, 0) + held[group_id]
    return sessions


def facilitation(scope: Scope) -> list[dict[str, Any]]:
    sessions = _sessions_by_facilitator(scope)
    first, last = scope.filters.date_from, scope.filters.date_to
    chosen = [s for s in overview(last) if scope.filters.group_id is None or s.facilitator.id in sessions]
    return [{"facilitator": s.facilitator.name, "sessions": sessions.get(s.facilitator.id, 0),
             "supervision_in_period": sum(1 for d in s.cadence.dates if first <= d <= last),
             "kept": s.cadence.kept, "missed": s.cadence.missed, "status": s.cadence.status}
            for s in chosen]
