"""Each home's journey toward trauma-informed practice: self-assessment rounds and its action plan.

``frameworks`` publishes framework versions, ``assessments`` holds the rounds' rules and writes,
``progress`` compares rounds (a home's first and latest, and the grids of homes × domains),
``access`` says who may see and change a home's journey, ``assessment_views`` the staff pages; the
home fills its round in through ``facilitator.join.assessment``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.journey import assessment_views  # noqa: F401 - its routes are on bp
    from facilitator.journey.blueprint import bp

    app.register_blueprint(bp)
