"""Request-side helpers shared by the pages and the API of confidential records."""

from __future__ import annotations

from typing import Any

from flask import Response, after_this_request, render_template, request

from facilitator import transaction
from facilitator.access import is_api_request
from facilitator.errors import FRIENDLY, json_error
from facilitator.models.supervision import VIA_API, VIA_WEB
from facilitator.supervision.audit import Origin
from facilitator.supervision.crypto import NotesUnavailable
from facilitator.supervision.services import Denied

NO_STORE = "no-store"


def request_origin() -> Origin:
    """Who is on the other end, for the audit trail: API or web, IP address and browser."""
    via = VIA_API if request.path.startswith("/api/") else VIA_WEB
    return Origin(via, request.remote_addr, request.user_agent.string[:300] or None)


def set_no_store(response: Response) -> Response:
    """Set explicitly: the app's default header is only added when none is present."""
    response.headers["Cache-Control"] = NO_STORE
    response.headers["Pragma"] = "no-cache"
    return response


def no_store() -> None:
    """Mark the current response as not to be stored by any cache."""
    after_this_request(set_no_store)


def handle_denied(exc: Denied) -> Any:
    """Keep the ``denied`` audit row the service wrote, then answer 403."""
    transaction.keep_on_error()
    if is_api_request():
        return json_error(403, FRIENDLY[403])
    return render_template("errors/error.html", status=403, message=FRIENDLY[403]), 403


def handle_unavailable(exc: NotesUnavailable) -> Any:
    """A missing or wrong key: a clear page for notes only; every other page keeps working."""
    if exc.keep_audit:
        transaction.keep_on_error()
    if is_api_request():
        return json_error(exc.status, exc.message)
    page = render_template("supervision/notes_unavailable.html", title=exc.title, message=exc.message)
    return set_no_store(Response(page, status=exc.status))
