"""Search, sort and paginate a table on the server, from the query string (issue 14, item 20).

``?q=`` searches (case-insensitive, the text taken literally: ``%`` and ``_`` are not wildcards),
``?sort=`` picks one of the table's whitelisted columns and ``?dir=asc|desc`` its direction,
``?page=N`` a page of ``PAGE_SIZE`` rows. Anything else, or a value that is not allowed, is
ignored: the table falls back to its default. A page past the end shows the last page, so a link
kept from before rows were removed still lands on rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from facilitator.extensions import db

PAGE_SIZE = 50
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Listing:
    """One page of a table, and what was asked for (to keep in links)."""

    rows: list[Any]
    total: int
    page: int
    pages: int
    q: str
    sort: str
    direction: str

    @property
    def first(self) -> int:
        """The position of the page's first row (1-based), 0 when there are none."""
        return (self.page - 1) * PAGE_SIZE + 1 if self.total else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * PAGE_SIZE + len(self.rows)

    def args(self, **changes: Any) -> dict[str, Any]:
        """The query string of this view with ``changes``, for a link that keeps the rest."""
        current = {"q": self.q or None, "sort": self.sort, "dir": self.direction, "page": self.page}
        return {k: v for k, v in {**current, **changes}.items() if v not in (None, "", 1)}

    def sort_args(self, column: str) -> dict[str, Any]:
        """A column header's link: sort by it, the other way round if it is the current sort."""
        flip = "desc" if self.sort == column and self.direction == "asc" else "asc"
        return self.args(sort=column, dir=flip, page=None)

    def aria_sort(self, column: str) -> str | None:
        if self.sort != column:
            return None
        return "ascending" if self.direction == "asc" else "descending"


def contains_pattern(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere, its wildcards and the escape character escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page_number(raw: str | None) -> int:
    return max(1, int(raw)) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else 1


def matches(column: Any, pattern: str) -> ColumnElement[bool]:
    """``column`` holds ``pattern`` (from ``contains_pattern``), whatever the case."""
    return func.lower(column).like(pattern, escape="\\")


def paginate(query: Select[Any], args: Mapping[str, str], *, search: Sequence[ColumnElement[Any]],
             sorts: Mapping[str, ColumnElement[Any]], default_sort: str, tiebreak: ColumnElement[Any],
             also: Callable[[str], ColumnElement[bool]] | None = None) -> Listing:
    """The page of ``query`` (one entity) that ``args`` ask for: filtered on ``search`` columns
    (or ``also(pattern)``, e.g. a related row's column), ordered by a column of ``sorts`` (empty
    values last whichever the direction, on SQLite and PostgreSQL alike), then ``tiebreak`` so
    pages never share or skip a row."""
    q = (args.get("q") or "").strip()[:MAX_QUERY_LENGTH]
    if q:
        pattern = contains_pattern(q)
        found = [matches(c, pattern) for c in search] + ([also(pattern)] if also else [])
        query = query.where(or_(*found))
    sort = args.get("sort") if args.get("sort") in sorts else default_sort
    direction = "desc" if args.get("dir") == "desc" else "asc"
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, ceil(total / PAGE_SIZE))
    page = min(_page_number(args.get("page")), pages)
    column = sorts[sort]
    ordered = query.order_by(column.is_(None), column.desc() if direction == "desc" else column.asc(),
                             tiebreak)
    rows = list(db.session.scalars(ordered.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
    return Listing(rows, total, page, pages, q, sort, direction)
