"""The senior sponsor's page, reached through their link (``/a/<token>``): no sign-in.

It shows the agreement and an "I agree" button that records the name typed, the time and the
address it came from. Like every link page it is not cached, not indexed and sends no referrer;
an unknown, expired or malformed link gets the same friendly 404.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, redirect, render_template, request, url_for

from facilitator.access import PUBLIC, allow
from facilitator.clock import local_today
from facilitator.conditions import agreements, letter, links
from facilitator.conditions.blueprint import bp
from facilitator.errors import DomainError
from facilitator.models import Agreement

letter.init_routes(bp)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _linked(token: str) -> Agreement:
    agreement = links.find_link(token)
    if agreement is None:  # the link pages' friendly 404 (a staff page's 404 stays the app's own)
        abort(Response(render_template("join/not_found.html"), 404))
    return agreement


@bp.route("/a/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def sponsor(token: str) -> Any:
    """GET only shows (link scanners open every link); POST with a typed name agrees."""
    agreement = _linked(token)
    problems: dict[str, str] = {}
    if request.method == "POST":
        try:
            agreements.accept_agreement(agreement, request.form.get("name", ""), request.remote_addr or "")
        except DomainError as exc:
            problems = exc.fields or {"name": exc.message}
        else:
            return redirect(url_for("conditions.sponsor", token=token), code=303)
    state = agreement.state(local_today())
    return render_template("conditions/sponsor.html", agreement=agreement, home=agreement.home, state=state,
                           problems=problems, typed=request.form.get("name", "")), 422 if problems else 200
