"""The rows of the report's "Every home" table, put together as plain strings.

A report of every group has a row per home in each group — a thousand at national scale, each of
thirteen cells — and Jinja spends most of an uncached dashboard's rendering time on them. As in
``charts``, every value that comes from the database (names) goes through :func:`escape`;
everything else is a number, a date or one of the constants here. The template keeps the table,
its headings and its empty state; ``tests/test_dashboard.py`` reads the cells back.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup, escape

from facilitator.attendance.charts import sparkline
from facilitator.templating import format_date

ARROWS = {"up": "▲", "down": "▼", "steady": "▶"}


def every_home_rows(rows: Iterable[Any]) -> Markup:
    """The ``<tr>`` of each report row (``report.HomeRow``), in order."""
    html = "".join(_row(row) for row in rows)
    # Reviewed: every value in ``html`` was escaped where it was put in (see the module's docstring).
    return Markup(html)  # noqa: S704  # nosec B704  # nosemgrep


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{round(share * 100)}%"


def _rating(rating: Any) -> str:
    if rating is None:
        return "Not rated"
    shown = f'{rating.average:.1f}<span class="visually-hidden"> out of 4</span>'
    direction = rating.direction
    if direction:
        shown += (f' <span class="rating-trend trend-{direction}"><span aria-hidden="true">'
                  f'{ARROWS[direction]}</span> {rating.words}</span>')
    return shown


def _row(row: Any) -> str:
    e, home = row.engagement, row.home
    senior = "Not known" if e.senior_share is None else _percent(e.senior_share)
    status = e.status
    return (
        f'<tr data-home-id="{home.id}" data-group-id="{row.group.id}">'
        f'<th scope="row">{escape(home.name)}</th>'
        f'<td>{escape(row.group.name)}</td>'
        f'<td class="num" data-figure="expected">{e.expected}</td>'
        f'<td class="num" data-figure="attended">{e.attended}</td>'
        f'<td class="num" data-figure="rate">{_percent(e.rate)}</td>'
        f'<td class="num" data-figure="commitment">{_percent(e.commitment)}</td>'
        f'<td>{format_date(e.last_attended) if e.last_attended else "Never"}</td>'
        f'<td class="num" data-figure="missed">{e.missed_without_notice_in_a_row}</td>'
        f'<td><span class="tag eng-{status.value}" data-figure="status">{escape(status.label)}</span></td>'
        f'<td>{sparkline(e.recent, home.name)}</td>'
        f'<td class="num" data-figure="rating">{_rating(row.rating)}</td>'
        f'<td>{senior}</td>'
        f'<td>{"Agreed" if home.protected_time_agreed else "Not agreed"}</td>'
        "</tr>")
