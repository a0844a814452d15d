"""The API's one way to declare an endpoint: route, roles, input and output models together.

Declaring them in one place lets the OpenAPI document be generated from the same facts the
code runs on, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, Response, request
from pydantic import BaseModel, ValidationError

from facilitator.access import allow
from facilitator.errors import BadInput, DomainError
from facilitator.forms import read_json

bp = Blueprint("api", __name__)
PREFIX = "/api/v1"  # every operation's path starts here; the OpenAPI document is /api/openapi.json


@dataclass(frozen=True)
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    roles: frozenset[str]
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    empty_status: int | None = None  # also answered, with no body, when the view returns None


OPERATIONS: list[Operation] = []


def field_path(loc: tuple[Any, ...]) -> str:
    """``("contacts", 0, "email")`` → ``contacts[0].email``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validation_error(exc: ValidationError, prefix: str = "") -> DomainError:
    fields: dict[str, str] = {}
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if p not in ("function-after", "function-before"))
        name = field_path(loc)
        fields.setdefault(f"{prefix}{name}" if prefix else name, _message(err))
    return DomainError("Some fields are not valid.", fields)


def _message(err: dict[str, Any]) -> str:
    if err["type"] == "extra_forbidden":
        return "This field is not accepted here."
    if err["type"] == "missing":
        return "This field is required."
    return re.sub(r"^Value error, ", "", err["msg"])


def parse_body(model: type[BaseModel]) -> BaseModel:
    data = read_json()
    if data is None:
        raise BadInput("The request body must be valid JSON with Content-Type application/json.",
                       {"body": "Not valid JSON."})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from exc


def parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise validation_error(exc) from exc


def operation(rule: str, method: str, *, roles: Any, summary: str,
              body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
              response: type[BaseModel] | None = None, status: int = 200,
              empty_status: int | None = None) -> Callable[..., Any]:
    """Register an API view. The view gets ``body``/``query`` models and returns a model, or None
    for an answer with no body (``empty_status``, documented beside ``status``; 204 by default)."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def view(**path_args: Any) -> Any:
            if body is not None:
                path_args["body"] = parse_body(body)
            if query is not None:
                path_args["query"] = parse_query(query)
            result = fn(**path_args)
            if isinstance(result, Response):
                return result
            if result is None:
                return Response(status=empty_status or 204)
            return result.model_dump(mode="json"), status

        allow(roles)(view)
        bp.add_url_rule(PREFIX + rule, fn.__name__, view, methods=[method])
        OPERATIONS.append(Operation(PREFIX + rule, method, f"api.{fn.__name__}", summary,
                                    view.allowed_roles, body, query, response, status, empty_status))
        return view

    return decorate
