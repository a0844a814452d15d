"""Domain errors raised by services, and the error pages/JSON the app answers with."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify, render_template
from werkzeug.exceptions import HTTPException

from facilitator import transaction
from facilitator.access import is_api_request


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
    500: "Something went wrong on our side. Nothing you entered has been lost.",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    app.register_error_handler(Exception, _handle_unexpected)


def _render(status: int, message: str, fields: dict[str, str] | None = None) -> Any:
    if is_api_request():
        return json_error(status, message, fields)
    return render_template("errors/error.html", status=status, message=message), status


def _handle_http(exc: HTTPException) -> Any:
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
    return _render(500, FRIENDLY[500])
