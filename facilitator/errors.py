"""Domain errors raised by services, and the error pages/JSON the app answers with.

A database that does not answer in time (SQLite locked past its busy timeout, PostgreSQL
cancelling a statement or a lock wait, a refused or lost connection) is one rule, here, for every
request, wherever it fails (loading the caller, the view's flush, or the request's one commit
at its end): the work is rolled back, 503 with ``Retry-After``, and a message that says honestly
what happened to the work. A form whose view declares :func:`form_again` is shown again with
what was typed still in it; any other save gets the generic page saying nothing was saved.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, jsonify, make_response, render_template, request
from werkzeug.exceptions import HTTPException

from facilitator import transaction
from facilitator.access import caller_checked_again, is_api_request
from facilitator.database import SAFE_METHODS, UNAVAILABLE, write_intent

FIELDS_INVALID = "Some fields are not valid."
"""The message of a refusal whose fields say what is wrong; a form's summary lists those instead."""


class DomainError(Exception):
    """A rule was broken by the input; ``fields`` maps field names to what is wrong."""

    status = 422

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class BadInput(DomainError):
    """The request itself cannot be read (not JSON, nested too deep): 400."""

    status = 400


class ConflictError(DomainError):
    status = 409


class NotFoundError(DomainError):
    status = 404


def json_error(status: int, message: str, fields: dict[str, str] | None = None) -> Any:
    response = jsonify({"error": {"message": message, "fields": fields or {}}})
    response.status_code = status
    return response


FRIENDLY = {
    400: "The request could not be understood.",
    401: "Please sign in to continue.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    409: "Someone else changed this at the same time.",
    413: "That upload is too large.",
    422: "Some of the details need correcting.",
    429: "Too many requests. Please wait a moment and try again.",
    500: "Something went wrong on our side.",
}
NOT_ANSWERING = "The database is not answering just now."
RETRY_AFTER_SECONDS = 60
FORM_AGAIN = "form_again"
V = TypeVar("V", bound=Callable[..., Any])


def form_again(render: Callable[..., Any]) -> Callable[[V], V]:
    """Declare how a form is shown again when the database fails during its save.

    ``render(**view_args)`` answers with the submitted form, everything typed still in it, and
    its own honest message; it runs after the failed work is rolled back, reading only (SQLite's
    WAL lets reads past another writer's lock), and the status is made 503 here. Should it fail
    too (the database is down altogether) the generic page answers instead."""
    def decorate(view: V) -> V:
        view.form_again = render  # type: ignore[attr-defined]
        return view

    return decorate


def what_was_saved() -> str:
    """What a failed request did with the caller's work, told honestly (nothing to say for a read)."""
    if request.method in SAFE_METHODS:
        return ""
    if transaction.committed_earlier():
        return "Part of it was saved before the failure: reload the page to see what was kept."
    return "Nothing was saved."


def _failure_message(what: str, then: str = "") -> str:
    return " ".join(part for part in (what, what_was_saved(), then) if part)


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    for error in UNAVAILABLE:
        app.register_error_handler(error, _handle_unavailable)
    app.register_error_handler(Exception, _handle_unexpected)


def _render(status: int, message: str, fields: dict[str, str] | None = None) -> Any:
    if is_api_request():
        return json_error(status, message, fields)
    return render_template("errors/error.html", status=status, message=message), status


def _handle_http(exc: HTTPException) -> Any:
    original = getattr(exc, "original_exception", None)
    if isinstance(original, UNAVAILABLE):  # raised by the request's commit, after the view
        return _handle_unavailable(original)
    status = exc.code or 500
    message = FRIENDLY.get(status, exc.name)
    if status == 400 and exc.description and is_api_request():
        message = exc.description
    if status == 401 and is_api_request():
        message = "Send a valid API token in the header 'Authorization: Bearer <token>'."
        return json_error(401, message), 401, {"WWW-Authenticate": 'Bearer realm="facilitator"'}
    response = _render(status, message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        if isinstance(response, tuple):
            return response[0], status, {"Allow": ", ".join(exc.valid_methods)}
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def _handle_domain(exc: DomainError) -> Any:
    transaction.rollback()
    return _render(exc.status, exc.message, exc.fields)


def _handle_unexpected(exc: Exception) -> Any:
    transaction.rollback()
    current_app.logger.exception("Unhandled error")
    return _render(500, _failure_message(FRIENDLY[500]))


def _handle_unavailable(exc: Exception) -> Any:
    transaction.abandon()
    current_app.logger.warning("The database did not answer in time (%s): %s", type(exc).__name__,
                               str(exc).splitlines()[0] if str(exc) else "")
    page = _form_again()
    if page is None:
        g.user = None  # the page must not need the database: no menu of the caller's
        page = _render(503, _failure_message(NOT_ANSWERING, "Please try again in a minute."))
    response = make_response(page)
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _form_again() -> Any:
    """The page of a form declared with :func:`form_again`, or None (then the generic page)."""
    view = current_app.view_functions.get(request.endpoint or "")
    render = getattr(view, FORM_AGAIN, None)
    if render is None or request.method in SAFE_METHODS or transaction.committed_earlier():
        return None
    try:
        with write_intent(False):
            if not caller_checked_again():
                return None
            return render(**(request.view_args or {}))
    except Exception:  # noqa: BLE001 - the generic page answers instead
        current_app.logger.warning("Could not show the form again", exc_info=True)
        return None
    finally:
        transaction.rollback()
