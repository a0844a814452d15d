"""Each home's journey toward trauma-informed practice: self-assessment rounds and its action plan.

``frameworks`` publishes framework versions, ``assessments`` holds the rounds' rules and writes,
``progress`` compares rounds (a home's first and latest, and the grids of homes × domains),
``access`` says who may see and change a home's journey, ``assessment_views`` the staff pages; the
home fills its round in through ``facilitator.join.assessment``.
``actions`` holds the action plan's rules and writes, ``action_queries`` its reads,
``action_views`` the staff pages, ``action_reports`` every home's plan for leads (the weekly email
of overdue actions is the outbox's: ``facilitator.invites.digest``); the home's own page shows and
ticks its actions through ``facilitator.join.actions``.
"""

from __future__ import annotations

from flask import Flask

from facilitator.models import ActionStatus


def init_app(app: Flask) -> None:
    from facilitator.journey import (  # noqa: F401 - their routes are on bp
        action_reports,
        action_views,
        assessment_views,
    )
    from facilitator.journey.blueprint import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(action_status=ActionStatus)
