"""The landing page after sign-in, with each role's next steps, and the health check."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.home import views

    app.register_blueprint(views.bp)
