"""Words for the report's filters, as the cover and the page show them."""

from __future__ import annotations

from typing import Any

from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.extensions import db
from facilitator.models import Group


def cover_lines(filters: dict[str, Any]) -> list[tuple[str, str]]:
    group = db.session.get(Group, filters["group_id"]) if filters.get("group_id") else None
    area = filters.get("local_authority")
    return [("From", filters["from"]), ("To", filters["to"]),
            ("Group", group.name if group else "Every group"),
            ("Region", filters.get("region") or "Every region"),
            ("Council area", COUNCIL_AREAS.get(area, area) if area else "Every council area")]
