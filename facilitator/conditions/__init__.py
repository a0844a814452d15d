"""The conditions for progress (issue 17): protected-time agreements (the sponsor's link page,
their lifecycle and reminders), partners and readiness."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.conditions import views

    app.register_blueprint(views.bp)
