"""Server-rendered SVG: the heatmap of homes × sessions, attendance over time and a small trend.

The content security policy forbids style attributes, so colours come from classes in app.css
and geometry from presentation attributes. Every cell also carries a letter (and absences a
hatch pattern), so the charts read without colour and in black-and-white print.

The markup is put together as plain strings, because a dashboard of many groups has tens of
thousands of elements: every value that comes from the database (names, titles) goes through
:func:`escape`; everything else is a number or one of the constants here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from facilitator.models.attendance import AttendanceStatus

CELL = 26
GAP = 2
LABEL_WIDTH = 210
HEADER_HEIGHT = 64
NOT_RECORDED = "?"
LETTER_BASELINE = round(CELL * 0.68, 1)
LETTERS = {s.value: s.letter for s in AttendanceStatus} | {"": NOT_RECORDED}
LABELS = {s.value: s.label for s in AttendanceStatus} | {"": "Not recorded"}


def _svg(css: str, width: float, height: float, label: str, parts: list[str]) -> Markup:
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css}" role="img" width="{width}" '
            f'height="{height}" viewBox="0 0 {width} {height}" {label}>')
    # Reviewed: every value in ``parts`` was escaped where it was put in, or is a number or one of
    # the constants of this module (see the module's docstring).
    svg = "".join([head, *parts, "</svg>"])
    return Markup(svg)  # noqa: S704  # nosec B704  # nosemgrep


def _hatch(uid: str) -> str:
    return (f'<defs><pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" class="hm-absent"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>')


def cell_letter(status: str) -> str:
    return LETTERS[status or ""]


def _drawn_once(block: Any, uid: str, draw: Callable[[Any, str], Markup]) -> Markup:
    """``draw(block, uid)``, kept on the block: a block from the report cache never changes."""
    key = f"{draw.__name__}:{uid}"
    svg = block.drawn.get(key)
    if svg is None:
        svg = block.drawn[key] = draw(block, uid)
    return svg


def heatmap(block: Any, uid: str) -> Markup:
    """Homes (rows) × sessions (columns) of one group. ``block`` is a queries.GroupBlock."""
    return _drawn_once(block, uid, _heatmap)


def attendance_chart(block: Any, uid: str) -> Markup:
    """Share of expected homes that attended, per session of one group, as bars with labels."""
    return _drawn_once(block, uid, _attendance_chart)


def _heatmap(block: Any, uid: str) -> Markup:
    uid = str(escape(uid))
    sessions, rows = block.sessions, block.rows
    width = LABEL_WIDTH + max(1, len(sessions)) * (CELL + GAP) + 10
    height = HEADER_HEIGHT + max(1, len(rows)) * (CELL + GAP) + 6
    group = escape(block.group.name)
    parts = [f'<title id="{uid}-t">Attendance of each home at each session of {group}</title>',
             f'<desc id="{uid}-d">Each square is one home at one session. Letters: P present, L late, '
             'E left early, A absent (also hatched), X excused, ? not recorded; blank: not a member then.'
             '</desc>',
             _hatch(uid)]
    columns = []
    for index, column in enumerate(sessions):
        x = round(LABEL_WIDTH + index * (CELL + GAP) + CELL / 2, 1)
        y = HEADER_HEIGHT - 6
        parts.append(f'<text x="{x}" y="{y}" class="hm-col" transform="rotate(-50 {x} {y})">'
                     f'{column.day:%-d %b}</text>')
        columns.append((column.id, LABEL_WIDTH + index * (CELL + GAP), f"{column.day:%-d %B %Y}"))
    for r, row in enumerate(rows):
        y = HEADER_HEIGHT + r * (CELL + GAP)
        home = escape(row.home.name)
        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{round(y + LETTER_BASELINE, 1)}" class="hm-row" '
                     f'text-anchor="end">{escape(_short(row.home.name))}</text>')
        cells = row.cells
        for session_id, x, day in columns:
            status = cells.get(session_id)
            if status is not None:
                parts.append(_cell(x, y, status, home, day, uid))
    return _svg("heatmap", width, height, f'aria-labelledby="{uid}-t {uid}-d"', parts)


def _cell(x: int, y: int, status: str, home: str, day: str, uid: str) -> str:
    kind = status or "none"
    if status == AttendanceStatus.ABSENT:  # hatched as well as red: it reads in black and white
        shape = f'class="hm-hatched" fill="url(#{uid}-hatch)"'
    else:
        shape = f'class="hm-{kind}"'
    return (f'<g><title>{home}, {day}: {LABELS[status]}</title>'
            f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="3" {shape}/>'
            f'<text x="{x + CELL // 2}" y="{round(y + LETTER_BASELINE, 1)}" '
            f'class="hm-letter hm-{kind}-letter" text-anchor="middle">{LETTERS[status]}</text></g>')


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _attendance_chart(block: Any, uid: str) -> Markup:
    uid = str(escape(uid))
    sessions = block.sessions
    bar, gap, top, chart_h, bottom, left = 22, 8, 22, 120, 46, 52
    width = left + max(1, len(sessions)) * (bar + gap) + 10
    group = escape(block.group.name)
    parts = [f'<title id="{uid}-t">Share of homes attending each session of {group}</title>']
    for share in (0, 50, 100):
        y = top + chart_h * (1 - share / 100)
        parts.append(f'<line x1="{left - 4}" y1="{y}" x2="{width - 6}" y2="{y}" class="chart-grid"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4}" class="chart-axis" text-anchor="end">{share}%</text>')
    for index, column in enumerate(sessions):
        x = left + index * (bar + gap)
        middle = x + bar / 2
        share = column.share
        if share is not None:
            h = max(1.0, chart_h * share)
            parts.append(f'<g><title>{column.day:%-d %B %Y}: {column.attended} of {column.expected} homes '
                         f'attended</title><rect x="{x}" y="{round(top + chart_h - h, 1)}" width="{bar}" '
                         f'height="{round(h, 1)}" class="chart-bar"/></g>')
        value = "–" if share is None else f"{round(share * 100)}"
        parts.append(f'<text x="{middle}" y="{round(top + chart_h - chart_h * (share or 0) - 5, 1)}" '
                     f'class="chart-value" text-anchor="middle">{value}</text>')
        below = top + chart_h + 14
        parts.append(f'<text x="{middle}" y="{below}" class="chart-axis" text-anchor="end" '
                     f'transform="rotate(-45 {middle} {below})">{column.day:%-d %b}</text>')
    return _svg("trend-chart", width, top + chart_h + bottom, f'aria-labelledby="{uid}-t"', parts)


def apology_chart(months: list[Any], reasons: Iterable[Any]) -> Markup:
    """Apologies by month, a stacked bar per month (one shade per reason, named in the legend and
    in each segment's title); the table beside it holds the same numbers."""
    reasons = list(reasons)
    bar, gap, top, chart_h, left = 34, 14, 20, 110, 8
    width = left + max(1, len(months)) * (bar + gap) + 10
    most = max((m.total for m in months), default=0) or 1
    parts = ['<title id="apology-chart-t">Apologies sent in advance, by month and reason</title>']
    for index, month in enumerate(months):
        x, base = left + index * (bar + gap), top + chart_h
        for shade, reason in enumerate(reasons):
            n = month.count(reason)
            if not n:
                continue
            h = round(chart_h * n / most, 1)
            base -= h
            parts.append(f'<g><title>{escape(month.label)}: {n} {escape(reason.label.lower())}</title>'
                         f'<rect x="{x}" y="{round(base, 1)}" width="{bar}" height="{h}" '
                         f'class="reason-seg reason-{shade}"/></g>')
        parts.append(f'<text x="{x + bar / 2}" y="{round(base - 5, 1)}" class="chart-value" '
                     f'text-anchor="middle">{month.total}</text>')
        parts.append(f'<text x="{x + bar / 2}" y="{top + chart_h + 14}" class="chart-axis" '
                     f'text-anchor="middle">{escape(month.label[:3])} {escape(month.month[2:4])}</text>')
    legend_y = top + chart_h + 34
    for shade, reason in enumerate(reasons):
        x, css = left + shade * 150, f"reason-seg reason-{shade}"
        parts.append(f'<rect x="{x}" y="{legend_y - 10}" width="12" height="12" class="{css}"/>'
                     f'<text x="{x + 16}" y="{legend_y}" class="chart-axis">{escape(reason.label)}</text>')
    width = max(width, left + len(reasons) * 150)
    return _svg("reason-chart", width, legend_y + 8, 'aria-labelledby="apology-chart-t"', parts)


@lru_cache(maxsize=4096)
def sparkline(recent: tuple[bool, ...], label: str) -> Markup:
    """The last expected sessions, oldest first: a filled dot attended, a hollow one missed."""
    if not recent:
        return Markup('<span class="muted">–</span>')
    step, radius = 14, 5
    width = len(recent) * step + 4
    title = escape(f"{label}: came to {sum(recent)} of the last {len(recent)} sessions")
    dots = [f'<circle cx="{2 + step * i + step / 2}" cy="9" r="{radius}" '
            f'class="{"dot-came" if came else "dot-missed"}"/>' for i, came in enumerate(recent)]
    return _svg("sparkline", width, 18, f'aria-label="{title}"', [f"<title>{title}</title>", *dots])
