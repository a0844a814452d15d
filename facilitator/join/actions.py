"""The home's action plan through a contact's link: ``/h/<token>`` lists the home's open actions
and each has a "Done" button that posts here.

The POST carries the form's CSRF token like the link's other forms, and only ever reaches an
action of the link's own home: another home's action id is a 404, the same as an unknown one.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, url_for

from facilitator.access import PUBLIC, allow
from facilitator.errors import NotFoundError
from facilitator.join.views import _contact_token, bp
from facilitator.journey import actions


@bp.route("/h/<token>/actions/<int:action_id>/done", methods=["POST"])
@allow(PUBLIC)
def home_action_done(token: str, action_id: int) -> Any:
    row = _contact_token(token)
    try:
        actions.mark_done_by_contact(action_id, row.contact)
    except NotFoundError:
        abort(404)
    return redirect(url_for("join.home", token=token, done=action_id, _anchor="actions"), code=303)
