"""A plan in words, for a calendar event's DESCRIPTION (plain text; the ical builder escapes it)."""

from __future__ import annotations

from facilitator.models import SessionPlan


def plan_lines(plan: SessionPlan | None) -> list[str]:
    if plan is None or plan.is_empty:
        return []
    lines = [f"Plan for this session: {plan.theme}"] if plan.theme else []
    lines += [f"Agenda:\n{plan.agenda}"] if plan.agenda else []
    if plan.resources:
        lines += ["Resources:"] + [f"- {r.title}: {r.url}" for r in plan.resources]
    return lines
