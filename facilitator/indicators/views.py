"""The facilitator's side of the monthly return: typing in a paper return, and the home's CSV.

Admins and the home's facilitators type a return in (``paper``; ``managed_home``); leads and
whoever writes read the CSV (``can_read_home``). The home's trend is on its staff page
(``admin.home``, from ``queries.trend``).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from facilitator.access import MANAGERS, READERS, allow, can_read_home, get_or_404, managed_home
from facilitator.errors import DomainError
from facilitator.indicators import forms, queries, services
from facilitator.indicators.blueprint import bp
from facilitator.models import CareHome, IndicatorSource

CSV_COLUMNS = ("month", *services.COUNTS, *(f"staff_trained_{level}" for level in services.LEVELS),
               "source", "submitted_at")


@bp.route("/homes/<int:home_id>/indicators/<month>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_return(home_id: int, month: str) -> Any:
    home, first_day = managed_home(home_id), services.parse_month(month)
    if first_day is None:
        abort(404)
    form = forms.ReturnForm()
    if not form.validate_on_submit():
        return _page(form, home, first_day, {}), 200
    try:
        services.save_return(home, first_day, forms.posted_return(request.form), IndicatorSource.PAPER,
                             g.user)
    except DomainError as exc:
        return _page(form, home, first_day, exc.fields), 422
    flash(f"Saved {home.name}'s return for {first_day.strftime('%B %Y')} (from paper).", "success")
    return redirect(url_for("admin.home", home_id=home.id, _anchor="indicators-heading"))

def _page(form: forms.ReturnForm, home: CareHome, month: Any, problems: dict[str, str]) -> Any:
    saved = queries.return_for(home.id, month)
    return render_template(
        "indicators/edit.html", form=form, home=home, month=month, month_key=services.month_key(month),
        saved=saved, problems=problems,
        values=forms.shown_values(request.form if form.is_submitted() else None, saved),
        **forms.grid_context())


@bp.route("/homes/<int:home_id>/indicators.csv")
@allow(READERS)
def indicators_csv(home_id: int) -> Any:
    home = get_or_404(CareHome, home_id)
    if not can_read_home(g.user, home.id):
        abort(403)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in queries.trend(home.id, queries.EARLIEST, queries.LATEST):
        writer.writerow([services.month_key(row.month), *(getattr(row, name) for name in services.COUNTS),
                         *row.trained_by_level.values(), row.source, row.submitted_at.isoformat()])
    response = Response(out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="indicators-home-{home.id}.csv"'
    return response
