"""The generic half of an all-or-nothing CSV import, shared by the partner directory and the
resource library.

A file is UTF-8 (a byte-order mark, as Excel writes, is allowed) with a header row naming its
columns in any order. Every row is checked before anything is written, and a file with any problem
writes nothing: each problem is reported with its row (the header is row 1, as in a spreadsheet)
and its column. An importer gives ``read_rows`` its columns and a function checking one row's
cells, then writes the checked rows only when ``errors`` is empty.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from facilitator.errors import BadInput

MAX_ROWS = 2000
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
DATE_PROBLEM = "Enter the date as YYYY-MM-DD or DD/MM/YYYY."


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


@dataclass
class CheckedRows:
    """The rows that passed (to be written only when there are no errors at all) and every problem."""

    rows: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# A row's check: its number and cells (by column) → the row's data and its problems by column.
RowCheck = Callable[[int, dict[str, str]], tuple[Any, dict[str, str]]]


def decode(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput("The file is not UTF-8 text.", {"body": "Save the file as CSV UTF-8."}) from exc


def values(cell: str) -> list[str]:
    """The values of a cell holding several, separated by ``;``."""
    return [v.strip() for v in cell.split(";") if v.strip()]


def parse_date(text: str) -> date:
    """A date written YYYY-MM-DD or DD/MM/YYYY; ValueError otherwise."""
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _header(names: list[str] | None, required: Sequence[str],
            columns: Sequence[str]) -> tuple[list[str], list[RowError]]:
    given = [re.sub(r"[\s-]+", "_", (n or "").strip().lower()) for n in names or []]
    errors = [RowError(1, c or "header", f"Unknown column. The columns are: {', '.join(columns)}.")
              for c in given if c not in columns]
    errors += [RowError(1, c, "The header row has no such column; it is required.")
               for c in required if c not in given]
    return given, errors


def _check_rows(reader: Any, columns: list[str], check: RowCheck) -> CheckedRows:
    checked = CheckedRows()
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            checked.errors.append(RowError(
                number, "row", f"This row has {len(cells)} cells; the header has {len(columns)}."))
            continue
        data, problems = check(number, dict(zip(columns, cells, strict=False)))
        checked.errors += [RowError(number, f, m) for f, m in problems.items()]
        checked.rows.append(data)
    return checked


def read_rows(body: bytes, required: Sequence[str], columns: Sequence[str], check: RowCheck,
              noun: str = "rows") -> CheckedRows:
    """Decode, check the header, then check every row; nothing is written here."""
    reader = csv.reader(io.StringIO(decode(body), newline=""))
    try:
        given, errors = _header(next(reader, None), required, columns)
        if errors:
            return CheckedRows(errors=errors)
        checked = _check_rows(reader, given, check)
    except csv.Error as exc:
        raise BadInput("The file cannot be read as CSV.", {"body": str(exc)}) from exc
    if not checked.rows and not checked.errors:
        return CheckedRows(errors=[RowError(1, "body", "The file has no rows under its header.")])
    if len(checked.rows) > MAX_ROWS:
        return CheckedRows(errors=[RowError(MAX_ROWS + 2, "body", f"Up to {MAX_ROWS} {noun} in one file.")])
    return checked
