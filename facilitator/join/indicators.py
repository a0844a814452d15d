"""The home's monthly return through a contact's page link: ``/h/<token>/indicators``.

Last month by default (``?month=YYYY-MM`` for an earlier one). A POST saves it as ``online``, with
the contact as who sent it, replacing that month's return if one was sent. The link decides the
home: no home id is ever taken from the request, so a contact of one home can only ever send its
own home's return. Counts only, as the form says; every problem at once, 422.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from facilitator.access import PUBLIC, allow
from facilitator.clock import local_today
from facilitator.errors import DomainError
from facilitator.indicators import forms, queries, services
from facilitator.join.views import _contact_token, bp
from facilitator.models import Contact, IndicatorSource


def _month() -> Any:
    raw = request.values.get("month")
    month = services.parse_month(raw) if raw else services.last_month(local_today())
    if month is None:
        abort(404)
    return month


@bp.route("/h/<token>/indicators", methods=["GET", "POST"])
@allow(PUBLIC)
def indicators(token: str) -> Any:
    contact, month = _contact_token(token).contact, _month()
    if request.method == "GET":
        return _page(token, contact, month, {})
    try:
        services.save_return(contact.home, month, forms.posted_return(request.form), IndicatorSource.ONLINE,
                             contact)
    except DomainError as exc:
        return _page(token, contact, month, exc.fields, posted=True), 422
    return redirect(url_for("join.indicators", token=token, month=services.month_key(month), saved=1),
                    code=303)


def _page(token: str, contact: Contact, month: Any, problems: dict[str, str], *, posted: bool = False) -> Any:
    saved = queries.return_for(contact.home_id, month)
    return render_template(
        "join/indicators.html", token=token, contact=contact, home=contact.home, month=month,
        month_key=services.month_key(month), saved=saved, problems=problems,
        values=forms.shown_values(request.form if posted else None, saved), **forms.grid_context())
