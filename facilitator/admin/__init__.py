"""Administration: users, care homes and their contacts, groups and memberships."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.admin import views

    app.register_blueprint(views.bp)
