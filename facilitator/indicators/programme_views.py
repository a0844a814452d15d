"""A group's or the programme's monthly returns, summed (``programme.totals``): a page and its CSV.

Leads and admins read every group and the whole programme; a facilitator reads the groups they
facilitate (another group is a 403, and without ``group_id`` they see their first group).
The months are ``from`` and ``to`` (``YYYY-MM``; the last twelve up to this month by default);
an unreadable one is refused with a message naming it, the page showing every problem at once.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Response, abort, g, render_template, request

from facilitator.access import READERS, allow, visible_group_ids
from facilitator.clock import local_today
from facilitator.csv_cells import BOM
from facilitator.extensions import db
from facilitator.indicators import forms, programme, queries, services
from facilitator.indicators.blueprint import bp
from facilitator.models import Group
from facilitator.models.base import can_be_row_id

CSV_COLUMNS = ("month", "homes_reporting", *programme.SUMMED, "care_plans_naming_trauma_percent",
               "team_meetings_discussing_tip_percent",
               *(f"staff_trained_{level}" for level in queries.LEVELS))


def _period() -> tuple[date, date, dict[str, str]]:
    this_month = local_today().replace(day=1)
    first, last, problems = queries.months_back(this_month, 12), this_month, {}
    for name in ("from", "to"):
        raw = request.args.get(name, "").strip()
        if raw:
            month = services.parse_month(raw)
            if month is None:
                example = services.month_key(last)
                problems[name] = f"“{raw}” is not a month: write it as YYYY-MM, e.g. {example}."
            elif name == "from":
                first = month
            else:
                last = month
    if not problems and first > last:
        problems["to"] = "The last month must not be before the first."
    return first, last, problems


def _groups() -> tuple[list[Group], Group | None]:
    """The groups the user may choose from, and the one chosen (None: every home)."""
    visible = visible_group_ids(g.user)
    query = db.select(Group).order_by(Group.name)
    groups = list(db.session.scalars(query if visible is None else query.where(Group.id.in_(visible))))
    raw = request.args.get("group_id", "").strip()
    if not raw:
        return groups, None if visible is None else (groups[0] if groups else None)
    chosen = next((group for group in groups if str(group.id) == raw), None)
    if chosen is None:
        known = raw.isdigit() and can_be_row_id(int(raw)) and db.session.get(Group, int(raw)) is not None
        abort(403 if known else 404)
    return groups, chosen


def _figures() -> tuple[list[Group], Group | None, date, date, dict[str, str], list[programme.MonthTotals]]:
    groups, chosen = _groups()
    if chosen is None and visible_group_ids(g.user) is not None:
        abort(403)  # a facilitator of no group: nothing to read
    first, last, problems = _period()
    rows = [] if problems else programme.totals(first, last, chosen.id if chosen else None)
    return groups, chosen, first, last, problems, rows


@bp.route("/reports/indicators")
@allow(READERS)
def programme_page() -> Any:
    groups, chosen, first, last, problems, rows = _figures()
    return render_template("indicators/programme.html", groups=groups, chosen=chosen, first=first, last=last,
                           problems=problems, rows=rows, levels=forms.LEVEL_LABELS,
                           month_key=services.month_key), 422 if problems else 200


@bp.route("/reports/indicators.csv")
@allow(READERS)
def programme_csv() -> Any:
    _, chosen, first, last, problems, rows = _figures()
    if problems:
        abort(422, description=" ".join(problems.values()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        figures = [getattr(row, name) for name in programme.SUMMED]
        shares = ["" if value is None else value for value in (row.plans_share, row.meetings_share)]
        writer.writerow([services.month_key(row.month), row.homes, *figures, *shares,
                         *row.trained_by_level.values()])
    name = f"group-{chosen.id}" if chosen else "programme"
    response = Response(BOM + out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="indicators-{name}.csv"'
    return response
