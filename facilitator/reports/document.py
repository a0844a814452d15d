"""The programme report as a PDF (``facilitator.paper``: A4, black and white, page numbers) and
as a CSV of its figures; both are built from the figures alone, so a snapshot's are its own."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from facilitator.csv_cells import BOM, safe_cell
from facilitator.paper import render_pdf
from facilitator.reports.labels import cover_lines

TITLE = "Programme report"
ROW_NAMES = ("group", "month", "area", "facilitator", "domain", "statement")


def pdf(figures: dict[str, Any], narrative: str, frozen: Any = None) -> bytes:
    return render_pdf("reports/programme.pdf.html", home_name="PSL programme", title=TITLE, figures=figures,
                      cover=cover_lines(figures["filters"]), narrative=narrative, frozen=frozen)


def _name(item: dict[str, Any], index: int) -> str:
    for key in ROW_NAMES:
        if item.get(key):
            return str(item[key])
    if "from" in item and "to" in item:
        return f"{item['from']} to {item['to']}"
    return str(index + 1)


def flatten(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every figure as (its path, its value): lists of rows named by their group, month, area…"""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from flatten(inner, (*path, str(key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            name = _name(inner, index) if isinstance(inner, dict) else str(index + 1)
            yield from flatten(inner, (*path, name))
    else:
        yield path, value


def csv_text(figures: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("section", "figure", "value"))
    for path, value in flatten(figures):
        writer.writerow([safe_cell(path[0]), safe_cell(" / ".join(path[1:])),
                         "" if value is None else safe_cell(value)])
    return BOM + out.getvalue()
