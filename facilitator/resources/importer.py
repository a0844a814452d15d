"""The resource library from a CSV file: all of it or none of it (the generic half, decoding, the
header, per-row errors, is ``facilitator.csv_import``).

Columns, in any order: ``title``, ``publisher``, ``url``, ``format`` and ``ksf_level`` are
required; ``topics`` (several, separated by ``;``), ``minutes``, ``paper_friendly`` (yes/no),
``description`` and ``last_checked_on`` may be left out. A row updates the resource at the same
address, else adds one; an address shared by several resources in the library is refused (change
those on their pages).
"""

from __future__ import annotations

from facilitator.csv_import import DATE_PROBLEM, ImportResult, RowCheck, parse_date, read_rows, values
from facilitator.models import User
from facilitator.resources.queries import at_url
from facilitator.resources.services import ResourceData, resource_problems, save_resource

REQUIRED = ("title", "publisher", "url", "format", "ksf_level")
OPTIONAL = ("topics", "minutes", "paper_friendly", "description", "last_checked_on")
COLUMNS = REQUIRED + OPTIONAL
SHARED_URL = "Several resources in the library have this address; change them on their pages."
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0", "")


def _typed(cells: dict[str, str]) -> tuple[dict[str, object], dict[str, str]]:
    """The cells that are not text, converted; a problem for each that cannot be."""
    typed: dict[str, object] = {}
    problems: dict[str, str] = {}
    minutes = cells.get("minutes", "").strip()
    try:
        typed["minutes"] = int(minutes) if minutes else None
    except ValueError:
        typed["minutes"], problems["minutes"] = None, "Enter the length as a whole number of minutes."
    flag = cells.get("paper_friendly", "").strip().lower()
    typed["paper_friendly"] = flag in YES
    if flag not in YES + NO:
        problems["paper_friendly"] = "Write yes or no."
    checked = cells.get("last_checked_on", "").strip()
    try:
        typed["last_checked_on"] = parse_date(checked) if checked else None
    except ValueError:
        typed["last_checked_on"], problems["last_checked_on"] = None, DATE_PROBLEM
    return typed, problems


def _row_checker() -> RowCheck:
    seen: dict[str, int] = {}

    def check(number: int, cells: dict[str, str]) -> tuple[ResourceData, dict[str, str]]:
        typed, problems = _typed(cells)
        data = ResourceData(
            title=cells.get("title", ""), publisher=cells.get("publisher", "").strip().lower(),
            url=cells.get("url", "").strip(), format=cells.get("format", "").strip().lower(),
            ksf_level=cells.get("ksf_level", "").strip().lower(), topics=values(cells.get("topics", "")),
            description=cells.get("description", ""), **typed)
        problems = {**resource_problems(data), **problems}
        if data.url and (first := seen.setdefault(data.url, number)) != number:
            problems["url"] = f"This address is also on row {first}."
        elif len(at_url(data.url)) > 1:
            problems["url"] = SHARED_URL
        return data, problems

    return check


def import_resources(body: bytes, user: User | None = None) -> ImportResult:
    """Check every row, then write them all, or nothing when any row has a problem."""
    checked = read_rows(body, REQUIRED, COLUMNS, _row_checker(), noun="resources")
    if checked.errors:
        return ImportResult(errors=checked.errors)
    result = ImportResult()
    for data in checked.rows:
        existing = next(iter(at_url(data.url)), None)
        save_resource(data, existing, user)
        if existing is None:
            result.created += 1
        else:
            result.updated += 1
    return result
