"""Server-rendered SVG: the heatmap of homes × sessions, attendance over time and a small trend.

The content security policy forbids style attributes, so colours come from classes in app.css
and geometry from presentation attributes. Every cell also carries a letter (and absences a
hatch pattern), so the charts read without colour and in black-and-white print. All markup is
built with ``Markup(...).format``, which escapes every value put into it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup

from facilitator.models.attendance import AttendanceStatus

CELL = 26
GAP = 2
LABEL_WIDTH = 210
HEADER_HEIGHT = 64
NOT_RECORDED = "?"
SVG_OPEN = Markup('<svg xmlns="http://www.w3.org/2000/svg" class="{}" role="img" width="{}" height="{}" '
                  'viewBox="0 0 {} {}" {}>')
SVG_CLOSE = Markup("</svg>")


def _attrs(**attrs: Any) -> Markup:
    """``class_="x", text_anchor="end"`` → ``class="x" text-anchor="end"`` (values escaped)."""
    return Markup(" ").join(Markup('{}="{}"').format(name.rstrip("_").replace("_", "-"), value)
                            for name, value in attrs.items() if value is not None)


def _tag(name: str, content: Any = "", **attrs: Any) -> Markup:
    if content == "":
        return Markup("<{} {}/>").format(name, _attrs(**attrs))
    return Markup("<{0} {1}>{2}</{0}>").format(name, _attrs(**attrs), content)


def _text(x: float, y: float, text: str, **attrs: Any) -> Markup:
    return _tag("text", text, x=round(x, 1), y=round(y, 1), **attrs)


def _svg(css: str, width: float, height: float, label: Markup, *parts: Markup) -> Markup:
    head = SVG_OPEN.format(css, width, height, width, height, label)
    return Markup("").join([head, *parts, SVG_CLOSE])


def _hatch(uid: str) -> Markup:
    return Markup('<defs><pattern id="{}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                  'patternTransform="rotate(45)"><rect width="6" height="6" class="hm-absent"/>'
                  '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern></defs>'
                  ).format(uid)


def cell_letter(status: str) -> str:
    return AttendanceStatus(status).letter if status else NOT_RECORDED


def cell_label(status: str) -> str:
    return AttendanceStatus(status).label if status else "Not recorded"


def heatmap(block: Any, uid: str) -> Markup:
    """Homes (rows) × sessions (columns) of one group. ``block`` is a queries.GroupBlock."""
    sessions, rows = block.sessions, block.rows
    width = LABEL_WIDTH + max(1, len(sessions)) * (CELL + GAP) + 10
    height = HEADER_HEIGHT + max(1, len(rows)) * (CELL + GAP) + 6
    parts = [_tag("title", f"Attendance of each home at each session of {block.group.name}", id=f"{uid}-t"),
             _tag("desc", "Each square is one home at one session. Letters: P present, L late, E left early, "
                  "A absent (also hatched), X excused, ? not recorded; blank: not a member then.",
                  id=f"{uid}-d"),
             _hatch(uid)]
    for index, column in enumerate(sessions):
        x = round(LABEL_WIDTH + index * (CELL + GAP) + CELL / 2, 1)
        parts.append(_text(x, HEADER_HEIGHT - 6, f"{column.day:%-d %b}", class_="hm-col",
                           transform=f"rotate(-50 {x} {HEADER_HEIGHT - 6})"))
    for r, row in enumerate(rows):
        y = HEADER_HEIGHT + r * (CELL + GAP)
        parts.append(_text(LABEL_WIDTH - 8, y + CELL * 0.68, _short(row.home.name), class_="hm-row",
                           text_anchor="end"))
        for c, column in enumerate(sessions):
            if column.id in row.cells:
                parts.append(_cell(LABEL_WIDTH + c * (CELL + GAP), y, row.cells[column.id], row.home.name,
                                   column, uid))
    label = Markup('aria-labelledby="{0}-t {0}-d"').format(uid)
    return _svg("heatmap", width, height, label, *parts)


def _cell(x: float, y: float, status: str, home: str, column: Any, uid: str) -> Markup:
    css, fill = f"hm-{status or 'none'}", None
    if status == AttendanceStatus.ABSENT:  # hatched as well as red: it reads in black and white
        css, fill = "hm-hatched", f"url(#{uid}-hatch)"
    rect = _tag("rect", x=x, y=y, width=CELL, height=CELL, rx=3, class_=css, fill=fill)
    letter = _text(x + CELL / 2, y + CELL * 0.68, cell_letter(status),
                   class_=f"hm-letter hm-{status or 'none'}-letter", text_anchor="middle")
    title = _tag("title", f"{home}, {column.day:%-d %B %Y}: {cell_label(status)}")
    return Markup("<g>{}{}{}</g>").format(title, rect, letter)


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def attendance_chart(block: Any, uid: str) -> Markup:
    """Share of expected homes that attended, per session of one group, as bars with labels."""
    sessions = block.sessions
    bar, gap, top, chart_h, bottom, left = 22, 8, 22, 120, 46, 52
    width = left + max(1, len(sessions)) * (bar + gap) + 10
    parts = [_tag("title", f"Share of homes attending each session of {block.group.name}", id=f"{uid}-t")]
    for share in (0, 50, 100):
        y = top + chart_h * (1 - share / 100)
        parts.append(_tag("line", x1=left - 4, y1=y, x2=width - 6, y2=y, class_="chart-grid"))
        parts.append(_text(left - 8, y + 4, f"{share}%", class_="chart-axis", text_anchor="end"))
    for index, column in enumerate(sessions):
        x = left + index * (bar + gap)
        share = column.share
        if share is not None:
            h = max(1.0, chart_h * share)
            tip = f"{column.day:%-d %B %Y}: {column.attended} of {column.expected} homes attended"
            rect = _tag("rect", x=x, y=round(top + chart_h - h, 1), width=bar, height=round(h, 1),
                        class_="chart-bar")
            parts.append(Markup("<g>{}{}</g>").format(_tag("title", tip), rect))
        parts.append(_text(x + bar / 2, top + chart_h - (chart_h * (share or 0)) - 5,
                           "–" if share is None else f"{round(share * 100)}", class_="chart-value",
                           text_anchor="middle"))
        parts.append(_text(x + bar / 2, top + chart_h + 14, f"{column.day:%-d %b}", class_="chart-axis",
                           text_anchor="end", transform=f"rotate(-45 {x + bar / 2} {top + chart_h + 14})"))
    label = Markup('aria-labelledby="{}-t"').format(uid)
    return _svg("trend-chart", width, top + chart_h + bottom, label, *parts)


def sparkline(recent: Sequence[bool], label: str) -> Markup:
    """The last expected sessions, oldest first: a filled dot attended, a hollow one missed."""
    if not recent:
        return Markup('<span class="muted">–</span>')
    step, radius = 14, 5
    width = len(recent) * step + 4
    title = f"{label}: came to {sum(recent)} of the last {len(recent)} sessions"
    dots = [_tag("circle", cx=2 + step * i + step / 2, cy=9, r=radius,
                 class_="dot-came" if came else "dot-missed") for i, came in enumerate(recent)]
    return _svg("sparkline", width, 18, Markup('aria-label="{}"').format(title), _tag("title", title), *dots)
