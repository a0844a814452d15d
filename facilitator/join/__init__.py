"""What care-home contacts reach through their personal links, on a shared iPad: joining a
session in one tap, their home's page, reminders and the home's calendar feed."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    # these modules add their routes to views.bp
    from facilitator.join import (  # noqa: F401
        actions,
        apologies,
        assessment,
        device_test,
        indicators,
        paper_links,
        questionnaire,
        views,
    )

    app.register_blueprint(views.bp)
