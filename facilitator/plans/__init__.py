"""Session plans and summaries (issue 19).

A plan (theme, agenda) goes out in the invitation and its calendar DESCRIPTION and shows on the
homes' pages; a summary, written after the session, is sent once to every home of the group.
The summary is a separate record from the confidential session note and never made from it.

``services`` holds the rules and writes, ``queries`` the reads, ``views`` the screens (the API is
``facilitator.api.plans``); the emails are rendered by ``facilitator.invites.render``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.plans import views  # noqa: F401 - its routes are on bp
    from facilitator.plans.blueprint import bp

    app.register_blueprint(bp)
