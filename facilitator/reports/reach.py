"""Reach: homes, contacts, sessions held and staff attending, by group and by council area.

Sessions held are the engagement report's sessions of the period (its ``session_filter``: not
cancelled, started by now); staff attending is the sum of the registers' staff counts for them.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from facilitator.attendance.filters import session_filter
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.extensions import db
from facilitator.models import Contact, MeetingSession
from facilitator.models.attendance import AttendanceEntry
from facilitator.reports.scope import Scope

NO_AREA = "not recorded"


def _contacts(home_ids: set[int]) -> dict[int, int]:
    if not home_ids:
        return {}
    return dict(db.session.execute(select(Contact.home_id, func.count()).where(
        Contact.home_id.in_(home_ids), Contact.is_active).group_by(Contact.home_id)).all())


def _staff(scope: Scope) -> dict[tuple[int, int], int]:
    """(group id, home id) → staff counted in the registers of the period's sessions."""
    if not scope.home_ids:
        return {}
    filters = scope.filters.engagement(start=scope.filters.date_from, end=scope.filters.date_to)
    rows = db.session.execute(
        select(MeetingSession.group_id, AttendanceEntry.home_id,
               func.coalesce(func.sum(AttendanceEntry.staff_count), 0))
        .join(MeetingSession, MeetingSession.id == AttendanceEntry.session_id)
        .where(*session_filter(filters, scope.zone, scope.now), AttendanceEntry.home_id.in_(scope.home_ids))
        .group_by(MeetingSession.group_id, AttendanceEntry.home_id))
    return {(group_id, home_id): int(total) for group_id, home_id, total in rows}


def reach(scope: Scope) -> dict[str, Any]:
    contacts, staff = _contacts(scope.home_ids), _staff(scope)
    by_group = []
    for block in scope.period.blocks:
        homes = {row.home.id for row in block.rows if row.home.id in scope.home_ids}
        by_group.append({"group_id": block.group.id, "group": block.group.name, "homes": len(homes),
                         "contacts": sum(contacts.get(h, 0) for h in homes),
                         "sessions_held": len(block.sessions),
                         "staff_attending": sum(staff.get((block.group.id, h), 0) for h in homes)})
    staff_by_home: Counter[int] = Counter()
    for (_group, home_id), total in staff.items():
        staff_by_home[home_id] += total
    return {"homes": len(scope.home_ids), "contacts": sum(contacts.values()),
            "sessions_held": sum(g["sessions_held"] for g in by_group),
            "staff_attending": sum(staff_by_home.values()), "by_group": by_group,
            "by_area": _by_area(scope, contacts, staff_by_home)}


def _by_area(scope: Scope, contacts: dict[int, int], staff: Counter[int]) -> list[dict[str, Any]]:
    homes: dict[str, list[int]] = {}
    for home_id, area in scope.areas.items():
        homes.setdefault(area or "", []).append(home_id)
    return [{"local_authority": key or None, "area": COUNCIL_AREAS.get(key, NO_AREA), "homes": len(ids),
             "contacts": sum(contacts.get(h, 0) for h in ids), "staff_attending": sum(staff[h] for h in ids)}
            for key, ids in sorted(homes.items())]
