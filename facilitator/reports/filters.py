"""The programme report's period and filters, read from a query string, a form or JSON.

``from`` and ``to`` are required dates (YYYY-MM-DD); ``group_id``, ``region`` and
``local_authority`` are optional. Every problem is named at once, by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from facilitator.attendance.filters import Filters
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.extensions import db
from facilitator.models import Group
from facilitator.models.base import can_be_row_id

FIELDS = ("from", "to", "group_id", "region", "local_authority")
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)  # a period outside these is a typing slip


@dataclass(frozen=True)
class ReportFilters:
    date_from: date
    date_to: date
    group_id: int | None = None
    region: str | None = None
    local_authority: str | None = None

    def engagement(self, *, start: date | None = None, end: date | None = None) -> Filters:
        """The engagement report's filters over ``start``..``end`` (the period by default)."""
        return Filters(group_id=self.group_id, region=self.region, date_from=start, date_to=end)

    def as_dict(self) -> dict[str, Any]:
        """JSON-safe, in ``FIELDS`` order: what a snapshot stores and the cover shows."""
        return {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(), "group_id": self.group_id,
                "region": self.region, "local_authority": self.local_authority}

    def query_args(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.as_dict().items() if v not in (None, "")}


def _date(raw: Any, name: str, problems: dict[str, str]) -> date | None:
    text = str(raw or "").strip()
    if not text:
        problems[name] = f"Enter the {'first' if name == 'from' else 'last'} day of the period (YYYY-MM-DD)."
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        problems[name] = f"“{text[:20]}” is not a date: write it as YYYY-MM-DD, e.g. 2026-04-01."
        return None
    if not EARLIEST <= day <= LATEST:
        problems[name] = f"Choose a date from {EARLIEST.year} to {LATEST.year}."
        return None
    return day


def _group_id(raw: Any, problems: dict[str, str]) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or not can_be_row_id(int(text)) or db.session.get(Group, int(text)) is None:
        problems["group_id"] = "Choose a group from the list."
        return None
    return int(text)


def _local_authority(raw: Any, problems: dict[str, str]) -> str | None:
    text = str(raw or "").strip()
    if text and text not in COUNCIL_AREAS:
        problems["local_authority"] = "Choose a council area from the list."
        return None
    return text or None


def parse(args: Mapping[str, Any]) -> tuple[ReportFilters | None, dict[str, str]]:
    """The filters, or None and every problem (field → message)."""
    problems: dict[str, str] = {}
    first, last = _date(args.get("from"), "from", problems), _date(args.get("to"), "to", problems)
    if first and last and last < first:
        problems["to"] = "The last day must not be before the first."
    group_id = _group_id(args.get("group_id"), problems)
    area = _local_authority(args.get("local_authority"), problems)
    region = str(args.get("region") or "").strip()[:100] or None
    if problems or first is None or last is None:
        return None, problems
    return ReportFilters(first, last, group_id, region, area), {}
