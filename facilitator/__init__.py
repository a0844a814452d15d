"""Facilitator: PSL sessions for care homes. ``create_app`` builds the Flask application."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from facilitator import (
    admin,
    api,
    attendance,
    auth,
    booking,
    cli,
    conditions,
    config,
    database,
    errors,
    followups,
    forms,
    gc_tuning,
    home,
    indicators,
    invites,
    join,
    journey,
    logging_setup,
    packs,
    plans,
    providers,
    questionnaires,
    ratelimit,
    reports,
    resources,
    security,
    supervision,
    templating,
    transaction,
)

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR.parent / "templates"

# What every request passes through, in order: the collector's thresholds, logging (link tokens
# masked in every line), the database and the one owner of each request's transaction, CSRF and
# input checks, security headers, error pages, rate limits, template filters, and the providers.
INFRASTRUCTURE = (gc_tuning, logging_setup, database, transaction, forms, security, errors, ratelimit,
                  templating, providers)
# One package per area of the app, each registering its blueprint (named as the package, with
# its templates in the folder of that name). ``auth`` comes first: it loads who is calling and
# checks their access before any other area's view runs.
AREAS = (auth, home, admin, api, booking, invites, join, attendance, supervision, journey, conditions,
         packs, followups, resources, plans, indicators, questionnaires, reports)


def create_app(test_config: dict[str, Any] | None = None, instance_path: str | None = None) -> Flask:
    """Build the app. ``instance_path`` defaults to ``instance/`` beside the package."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder=str(TEMPLATES_DIR),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    config.load_config(app, test_config)
    logging.getLogger("facilitator").setLevel(app.config["LOG_LEVEL"])
    app.json.sort_keys = False
    for part in (*INFRASTRUCTURE, *AREAS, cli):
        part.init_app(app)
    return app
