"""The JSON API under ``/api/v1`` and its OpenAPI document at ``/api/openapi.json``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Blueprint, Flask, jsonify

import facilitator.api.attendance  # noqa: F401 - registers the operations
import facilitator.api.notes  # noqa: F401 - registers the operations
import facilitator.api.sessions  # noqa: F401 - registers the operations
import facilitator.api.supervision  # noqa: F401 - registers the operations
from facilitator.access import PUBLIC, allow
from facilitator.api import groups, homes, users  # noqa: F401 - registers the operations
from facilitator.api.core import bp
from facilitator.api.openapi import build_spec
from facilitator.extensions import csrf

docs_bp = Blueprint("api_docs", __name__)


@docs_bp.route("/api/openapi.json")
@allow(PUBLIC)
def openapi() -> Any:
    try:
        app_version = version("facilitator")
    except PackageNotFoundError:
        app_version = "0"
    return jsonify(build_spec(app_version))


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
    app.register_blueprint(docs_bp)
