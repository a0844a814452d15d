""""Test this iPad" on the home's page (``/h/<token>``): a form per test meeting the home can
open, posted to a new tab (``target="_blank"``, so it works without JavaScript and the home's page
stays open). The POST carries the CSRF token like the link's other forms, records the test with
the browser family (``facilitator.conditions.device_tests``) and forwards to the provider's own
test meeting, or for Teams to the pre-join screen of the home's next session on it. A link
scanner never posts, so only a person's press counts.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, request

from facilitator.access import PUBLIC, allow
from facilitator.clock import now_utc
from facilitator.conditions import device_tests
from facilitator.errors import NotFoundError
from facilitator.join.views import _contact_token, bp


@bp.route("/h/<token>/device-test", methods=["POST"])
@allow(PUBLIC)
def home_device_test(token: str) -> Any:
    row = _contact_token(token)
    try:
        meeting = device_tests.record_device_test(row.contact, request.form.get("provider", ""),
                                                  request.headers.get("User-Agent", ""), now_utc())
    except NotFoundError:
        abort(404)
    return redirect(meeting.url, code=303)
