"""The partner directory from a CSV file: all of it or none of it.

The file is UTF-8 (a byte-order mark, as Excel writes, is allowed) with a header row naming its
columns in any order: ``name``, ``areas`` and ``specialisms`` are required; ``referral_route``,
``website``, ``phone``, ``email`` and ``last_checked_on`` may be left out. ``areas`` and
``specialisms`` hold several values separated by ``;`` (areas by key or name; ``all`` for every
council area). A row updates the partner of the same name (case and spacing aside), else adds one;
an optional column the file leaves out keeps what an updated partner had.

Every row is checked before anything is written, and a file with any problem writes nothing:
each problem is reported with its row (the header is row 1, as in a spreadsheet) and its column.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from facilitator.conditions.areas import ALL_AREAS, COUNCIL_AREAS
from facilitator.conditions.partners import (
    PartnerData,
    find_by_name,
    name_key,
    partner_problems,
    save_partner,
)
from facilitator.errors import BadInput
from facilitator.models import Partner

REQUIRED = ("name", "areas", "specialisms")
OPTIONAL = ("referral_route", "website", "phone", "email", "last_checked_on")
COLUMNS = REQUIRED + OPTIONAL
MAX_ROWS = 2000
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput("The file is not UTF-8 text.", {"body": "Save the file as CSV UTF-8."}) from exc


def _header(names: list[str] | None) -> tuple[list[str], list[RowError]]:
    columns = [re.sub(r"[\s-]+", "_", (n or "").strip().lower()) for n in names or []]
    errors = [RowError(1, c or "header", f"Unknown column. The columns are: {', '.join(COLUMNS)}.")
              for c in columns if c not in COLUMNS]
    errors += [RowError(1, c, "The header row has no such column; it is required.")
               for c in REQUIRED if c not in columns]
    return columns, errors


def _values(cell: str) -> list[str]:
    return [v.strip() for v in cell.split(";") if v.strip()]


def _date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _kept(cells: dict[str, str], existing: Partner | None) -> dict[str, str]:
    """The row's cells, with an existing partner's values in the optional columns the file lacks."""
    if existing is None:
        return cells
    kept = {c: str(getattr(existing, c) or "") for c in OPTIONAL if c not in cells}
    if "last_checked_on" in kept and existing.last_checked_on:
        kept["last_checked_on"] = existing.last_checked_on.isoformat()
    return {**kept, **cells}


def _row_data(cells: dict[str, str]) -> tuple[PartnerData, dict[str, str]]:
    areas = _values(cells.get("areas", ""))
    problems: dict[str, str] = {}
    checked = cells.get("last_checked_on", "").strip()
    try:
        last_checked = _date(checked) if checked else None
    except ValueError:
        last_checked, problems["last_checked_on"] = None, "Enter the date as YYYY-MM-DD or DD/MM/YYYY."
    data = PartnerData(
        name=cells.get("name", ""), specialisms=_values(cells.get("specialisms", "")),
        areas=list(COUNCIL_AREAS) if [a.lower() for a in areas] == [ALL_AREAS] else areas,
        referral_route=cells.get("referral_route", ""), website=cells.get("website", ""),
        phone=cells.get("phone", ""), email=cells.get("email", ""), last_checked_on=last_checked)
    return data, problems


def _check_rows(reader: csv.reader, columns: list[str]) -> tuple[list[PartnerData], list[RowError]]:
    rows: list[PartnerData] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            errors.append(RowError(number, "row",
                                   f"This row has {len(cells)} cells; the header has {len(columns)}."))
            continue
        given = dict(zip(columns, cells, strict=False))
        existing = find_by_name(given.get("name", ""))
        data, problems = _row_data(_kept(given, existing))
        problems = {**partner_problems(data, existing), **problems}
        if data.name.strip() and (first := seen.setdefault(name_key(data.name), number)) != number:
            problems["name"] = f"This partner is also on row {first}."
        errors += [RowError(number, f, m) for f, m in problems.items()]
        rows.append(data)
    return rows, errors


def import_partners(body: bytes) -> ImportResult:
    """Check every row, then write them all, or nothing when any row has a problem."""
    reader = csv.reader(io.StringIO(decode(body), newline=""))
    try:
        columns, errors = _header(next(reader, None))
        if errors:
            return ImportResult(errors=errors)
        rows, errors = _check_rows(reader, columns)
    except csv.Error as exc:
        raise BadInput("The file cannot be read as CSV.", {"body": str(exc)}) from exc
    if not rows and not errors:
        errors = [RowError(1, "body", "The file has no rows under its header.")]
    elif len(rows) > MAX_ROWS:
        errors = [RowError(MAX_ROWS + 2, "body", f"Up to {MAX_ROWS} partners in one file.")]
    if errors:
        return ImportResult(errors=errors)
    result = ImportResult()
    for data in rows:
        existing = find_by_name(data.name)
        save_partner(data, existing)
        if existing is None:
            result.created += 1
        else:
            result.updated += 1
    return result
