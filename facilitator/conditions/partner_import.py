"""The partner directory from a CSV file: all of it or none of it.

The file is UTF-8 (a byte-order mark, as Excel writes, is allowed) with a header row naming its
columns in any order: ``name``, ``areas`` and ``specialisms`` are required; ``referral_route``,
``website``, ``phone``, ``email`` and ``last_checked_on`` may be left out. ``areas`` and
``specialisms`` hold several values separated by ``;`` (areas by key or name; ``all`` for every
council area). A row updates the partner of the same name (case and spacing aside), else adds one;
an optional column the file leaves out keeps what an updated partner had.

The generic parts (decoding, the header, per-row errors, all or nothing) are ``csv_import``'s.
"""

from __future__ import annotations

from facilitator.conditions.areas import ALL_AREAS, COUNCIL_AREAS
from facilitator.conditions.partners import (
    PartnerData,
    find_by_name,
    name_key,
    partner_problems,
    save_partner,
)
from facilitator.csv_import import DATE_PROBLEM, ImportResult, RowCheck, parse_date, read_rows, values
from facilitator.models import Partner

REQUIRED = ("name", "areas", "specialisms")
OPTIONAL = ("referral_route", "website", "phone", "email", "last_checked_on")
COLUMNS = REQUIRED + OPTIONAL


def _kept(cells: dict[str, str], existing: Partner | None) -> dict[str, str]:
    """The row's cells, with an existing partner's values in the optional columns the file lacks."""
    if existing is None:
        return cells
    kept = {c: str(getattr(existing, c) or "") for c in OPTIONAL if c not in cells}
    if "last_checked_on" in kept and existing.last_checked_on:
        kept["last_checked_on"] = existing.last_checked_on.isoformat()
    return {**kept, **cells}


def _row_data(cells: dict[str, str]) -> tuple[PartnerData, dict[str, str]]:
    areas = values(cells.get("areas", ""))
    problems: dict[str, str] = {}
    checked = cells.get("last_checked_on", "").strip()
    try:
        last_checked = parse_date(checked) if checked else None
    except ValueError:
        last_checked, problems["last_checked_on"] = None, DATE_PROBLEM
    data = PartnerData(
        name=cells.get("name", ""), specialisms=values(cells.get("specialisms", "")),
        areas=list(COUNCIL_AREAS) if [a.lower() for a in areas] == [ALL_AREAS] else areas,
        referral_route=cells.get("referral_route", ""), website=cells.get("website", ""),
        phone=cells.get("phone", ""), email=cells.get("email", ""), last_checked_on=last_checked)
    return data, problems


def _row_checker() -> RowCheck:
    seen: dict[str, int] = {}

    def check(number: int, given: dict[str, str]) -> tuple[PartnerData, dict[str, str]]:
        existing = find_by_name(given.get("name", ""))
        data, problems = _row_data(_kept(given, existing))
        problems = {**partner_problems(data, existing), **problems}
        if data.name.strip() and (first := seen.setdefault(name_key(data.name), number)) != number:
            problems["name"] = f"This partner is also on row {first}."
        return data, problems

    return check


def import_partners(body: bytes) -> ImportResult:
    """Check every row, then write them all, or nothing when any row has a problem."""
    checked = read_rows(body, REQUIRED, COLUMNS, _row_checker(), noun="partners")
    if checked.errors:
        return ImportResult(errors=checked.errors)
    result = ImportResult()
    for data in checked.rows:
        existing = find_by_name(data.name)
        save_partner(data, existing)
        if existing is None:
            result.created += 1
        else:
            result.updated += 1
    return result
