"""Facilitator: PSL sessions for care homes. ``create_app`` builds the Flask application."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask

from facilitator import access, cli, config, database, errors, security, templating
from facilitator.extensions import csrf, db, migrate
from facilitator.forms import init_app as init_forms
from facilitator.logging_setup import init_app as init_logging
from facilitator.ratelimit import init_app as init_ratelimit

PACKAGE_DIR = Path(__file__).resolve().parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
TEMPLATES_DIR = PACKAGE_DIR.parent / "templates"


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
    init_logging(app)  # link tokens are masked in every log line
    app.json.sort_keys = False

    database.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    init_forms(app)  # refuses NUL characters in any input, before a view sees it
    _register_blueprints(app)
    errors.register_error_handlers(app)
    security.init_app(app)
    init_ratelimit(app)  # link pages, webhooks and the API (RATELIMIT_* settings)
    templating.init_app(app)
    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from facilitator.admin.views import bp as admin_bp
    from facilitator.api import init_app as init_api
    from facilitator.attendance import init_app as init_attendance
    from facilitator.auth.views import init_app as init_auth
    from facilitator.booking import providers as booking_providers
    from facilitator.booking.views import init_app as init_booking
    from facilitator.home.views import bp as home_bp
    from facilitator.invites import init_app as init_invites
    from facilitator.supervision.views import init_app as init_supervision

    init_auth(app)
    app.before_request(access.enforce_access)
    app.register_blueprint(home_bp)
    app.register_blueprint(admin_bp)
    init_api(app)
    init_invites(app)  # invitations, join links, feeds, the outbox and its mail backend
    booking_providers.init_app(app)  # the meeting providers, in app.extensions
    init_booking(app)
    init_supervision(app)  # confidential notes, supervision log, audit; builds the notes keyring
    init_attendance(app)  # registers, imports, the Zoom webhook, engagement and the leads' dashboard
