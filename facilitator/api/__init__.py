"""The JSON API under ``/api/v1`` and its OpenAPI document at ``/api/openapi.json``.

Each module declares its operations on the one blueprint through ``core.operation``; importing
them here makes the list of operations (and so the OpenAPI document) complete on import.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from flask import Flask, jsonify

from facilitator.access import PUBLIC, allow
from facilitator.api import (  # noqa: F401
    actions,
    agreements,
    apologies,
    assessments,
    attendance,
    followups,
    groups,
    homes,
    indicators,
    invitations,
    notes,
    partners,
    pauses,
    plans,
    programme_reports,
    questionnaires,
    readiness,
    resources,
    series,
    sessions,
    supervision,
    users,
)
from facilitator.api.core import bp
from facilitator.api.openapi import build_spec
from facilitator.extensions import csrf


@bp.route("/api/openapi.json")
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
