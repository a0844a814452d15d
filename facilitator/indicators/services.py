"""The rules of a monthly return and its one write (issue 19).

A return counts one month: care plans reviewed and how many of them name trauma-related needs or
trauma-informed approaches, team meetings or huddles and how many discussed trauma or TIP, staff
who completed NTTP learning by role and KSF level, and team leaders trained to date. Counts only:
there is no free text anywhere in a return, so no name of a resident or of staff can be kept.

Every count is a whole number from 0 to 10,000; a part never exceeds its whole. A month after
the current one is refused; the current month may be sent (a home may fill it in on its last day)
and is replaced when sent again, like any month: one return per home and month.

``data`` is a mapping as the API's body and the link's form give it: the five counts by name, and
``staff_trained`` a list of ``{"role", "ksf_level", "count"}``. Problems name the field; a staff
row's problem is named ``staff_trained.<role>.<ksf_level>`` (the form's input) or, for a row
that cannot be read, ``staff_trained[<i>]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from facilitator.clock import local_today, now_utc
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.extensions import db
from facilitator.indicators import queries
from facilitator.models import (
    CareHome,
    Contact,
    IndicatorReturn,
    IndicatorSource,
    IndicatorStaffTrained,
    StaffRole,
    User,
)

MAX_COUNT = 10_000
COUNT_PROBLEM = "Enter a whole number from 0 to 10,000"
COUNTS = ("care_plans_reviewed", "care_plans_naming_trauma", "team_meetings", "team_meetings_discussing_tip",
          "team_leaders_trained_total")
# A part and its whole: the part is refused when it is more.
PARTS = {"care_plans_naming_trauma": ("care_plans_reviewed", "care plans reviewed"),
         "team_meetings_discussing_tip": ("team_meetings", "team meetings held")}
ROLES = tuple(r.value for r in StaffRole)
LEVELS = queries.LEVELS
_MONTH = re.compile(r"(\d{4})-(\d{2})")


@dataclass(frozen=True)
class StaffCount:
    role: str
    ksf_level: str
    count: int


def parse_month(raw: str | None) -> date | None:
    """``YYYY-MM`` as the first day of that month; None when it is not one."""
    match = _MONTH.fullmatch((raw or "").strip())
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        return None
    return date(int(match[1]), int(match[2]), 1)


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def last_month(today: date) -> date:
    """The first day of the month before ``today``'s: the month a return is asked for."""
    return date(today.year - 1, 12, 1) if today.month == 1 else date(today.year, today.month - 1, 1)


def as_count(value: Any) -> int | None:
    """A whole number from 0 to 10,000 (an int, or digits as a form sends them), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not value.isascii() or not value.isdigit() or len(value) > 6:
            return None
        value = int(value)
    return value if isinstance(value, int) and 0 <= value <= MAX_COUNT else None


def indicator_problems(data: Mapping[str, Any], month: date | None, today: date) -> dict[str, str]:
    """Every problem with a return at once, field → message (empty when it may be saved)."""
    problems: dict[str, str] = {}
    if month is None:
        problems["month"] = "Enter a month as YYYY-MM"
    elif month > today.replace(day=1):
        problems["month"] = "That month has not started yet: choose this month or an earlier one"
    counts = {name: as_count(data.get(name)) for name in COUNTS}
    problems.update({name: COUNT_PROBLEM for name, value in counts.items() if value is None})
    for part, (whole, words) in PARTS.items():
        if counts[part] is not None and counts[whole] is not None and counts[part] > counts[whole]:
            problems[part] = f"This cannot be more than the {words} ({counts[whole]})"
    problems.update(_staff_problems(data.get("staff_trained") or []))
    return problems


def _staff_problems(rows: Any) -> dict[str, str]:
    if not isinstance(rows, list):
        return {"staff_trained": "Give a list of roles, levels and counts"}
    problems: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(rows):
        role, level = (row.get("role"), row.get("ksf_level")) if isinstance(row, Mapping) else (None, None)
        if role not in ROLES:
            problems[f"staff_trained[{i}].role"] = "Choose one of: " + ", ".join(ROLES)
        elif level not in LEVELS:
            problems[f"staff_trained[{i}].ksf_level"] = "Choose one of: " + ", ".join(LEVELS)
        elif (role, level) in seen:
            problems[f"staff_trained[{i}]"] = "Give each role and level once"
        elif as_count(row.get("count")) is None:
            problems[f"staff_trained.{role}.{level}"] = COUNT_PROBLEM
        seen.add((role, level))
    return problems


def save_return(home: CareHome, month: date | None, data: Mapping[str, Any], source: IndicatorSource,
                by: Contact | User, today: date | None = None) -> IndicatorReturn:
    """The home's return for ``month``, replacing any sent before, with who sent it and when.
    Refuses with every problem at once (422). Flushes only."""
    problems = indicator_problems(data, month, today or local_today())
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    assert month is not None
    row = queries.return_for(home.id, month) or IndicatorReturn(home_id=home.id, month=month)
    for name in COUNTS:
        setattr(row, name, as_count(data[name]))
    row.source, row.submitted_at = source.value, now_utc()
    row.submitted_by_contact_id = by.id if isinstance(by, Contact) else None
    row.submitted_by_user_id = by.id if isinstance(by, User) else None
    row.staff_trained.clear()
    db.session.add(row)
    db.session.flush()  # the old rows go before the new ones take their (role, level)
    row.staff_trained.extend(_staff_rows(data.get("staff_trained") or []))
    db.session.flush()
    return row


def _staff_rows(rows: list[Mapping[str, Any]]) -> list[IndicatorStaffTrained]:
    kept = [StaffCount(r["role"], r["ksf_level"], as_count(r.get("count")) or 0) for r in rows]
    return [IndicatorStaffTrained(role=s.role, ksf_level=s.ksf_level, count=s.count) for s in kept if s.count]
