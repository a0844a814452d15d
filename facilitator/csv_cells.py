"""What every CSV download shares: the byte-order mark Excel needs to read UTF-8, and cells that a
spreadsheet cannot take for a formula (CSV injection)."""

from __future__ import annotations

from typing import Any

BOM = "\ufeff"
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (tab and carriage return too: some import paths strip them and then see the formula).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would take for a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
