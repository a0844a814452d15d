"""What care-home contacts reach through their personal links, on a shared iPad: joining a
session in one tap, their home's page, reminders and the home's calendar feed."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.join import paper_links, views  # noqa: F401 - paper_links adds routes to views.bp

    app.register_blueprint(views.bp)
