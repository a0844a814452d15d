"""The OpenAPI 3.1 document, generated from the declared operations and their models."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from facilitator.api.core import OPERATIONS, Operation
from facilitator.api.schemas import Error

REF = "#/components/schemas/{model}"
ERRORS = {
    "400": "The request is malformed: a body that is not JSON, or text holding a NUL character",
    "401": "No valid API token",
    "403": "The token's user may not do this",
    "404": "Not found",
    "409": "Conflicts with the current state",
    "422": "A field is not valid; `error.fields` names it",
}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def build_spec(version: str) -> dict[str, Any]:
    models = _models()
    _, top = models_json_schema([(m, mode) for m, mode in models], ref_template=REF)
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        path = _PARAM.sub(r"{\2}", op.rule)
        paths.setdefault(path, {})[op.method.lower()] = _operation(op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Facilitator API", "version": version},
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }


def _models() -> list[tuple[type[BaseModel], str]]:
    seen: dict[tuple[type[BaseModel], str], None] = {(Error, "serialization"): None}
    for op in OPERATIONS:
        for model, mode in ((op.body, "validation"), (op.query, "validation"),
                            (op.response, "serialization")):
            if model is not None:
                seen[(model, mode)] = None
    return list(seen)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _operation(op: Operation) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "operationId": op.endpoint.removeprefix("api."),
        "summary": op.summary,
        "description": f"Roles: {', '.join(sorted(op.roles))}.",
        "parameters": _path_params(op) + _query_params(op),
        "responses": _responses(op),
    }
    if op.body is not None:
        spec["requestBody"] = {"required": True,
                               "content": {"application/json": {"schema": _ref(op.body)}}}
    return spec


def _path_params(op: Operation) -> list[dict[str, Any]]:
    params = []
    for converter, name in _PARAM.findall(op.rule):
        schema = {"type": "integer"} if converter == "int" else {"type": "string"}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    return params


def _query_params(op: Operation) -> list[dict[str, Any]]:
    if op.query is None:
        return []
    schema = op.query.model_json_schema(ref_template=REF)
    required = set(schema.get("required", []))
    return [{"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()]


def _responses(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if op.response is None:
        responses[str(op.status)] = {"description": "Done"}
    else:
        responses[str(op.status)] = {"description": "Success",
                                     "content": {"application/json": {"schema": _ref(op.response)}}}
    if op.empty_status is not None:
        responses[str(op.empty_status)] = {"description": "Done, nothing to show"}
    for code, text in ERRORS.items():
        responses[code] = {"description": text,
                           "content": {"application/json": {"schema": _ref(Error)}}}
    return responses
