"""Every home's action plan at a glance, for leads and admins (as the dashboard): a page of homes
at a time with actions done, open and overdue, searched and sorted on the server, and the same rows
as CSV. The dashboard itself shows only the totals and the homes most overdue, and links here."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, render_template, request

from facilitator.access import LEAD_OR_ADMIN, allow
from facilitator.clock import local_today
from facilitator.csv_cells import BOM, safe_cell
from facilitator.journey import action_queries
from facilitator.journey.blueprint import bp

CSV_HEADER = ["home_id", "home_name", "region", "actions_done", "actions_open", "actions_overdue",
              "oldest_overdue_due_on"]


@bp.route("/reports/actions")
@allow(LEAD_OR_ADMIN)
def all_actions() -> Any:
    listing, rows = action_queries.homes_with_plans_page(request.args, local_today())
    return render_template("journey/all_actions.html", listing=listing, rows=rows)


@bp.route("/reports/actions.csv")
@allow(LEAD_OR_ADMIN)
def all_actions_csv() -> Any:
    today = local_today()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for p in action_queries.progress_by_home(today):
        writer.writerow([p.home_id, safe_cell(p.home_name), safe_cell(p.region), p.done, p.open, p.overdue,
                         p.oldest_due.isoformat() if p.oldest_due else ""])
    return Response(BOM + buffer.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="actions-{today:%Y-%m-%d}.csv"',
                             "Content-Type": "text/csv; charset=utf-8"})
