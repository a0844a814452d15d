"""Implementation indicators (issue 19): each home's two-minute monthly return.

``services`` holds the rules and the one write, ``queries`` the reads and the home's trend,
``views`` the facilitator's paper entry and the home's CSV, ``programme`` and ``programme_views``
a group's and the programme's trend (the email on the 1st of each month is
``facilitator.invites.indicator_reminder``). The home sends its return through its link
(``facilitator.join.indicators``); the API is ``facilitator.api.indicators``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.indicators import programme_views, views  # noqa: F401 - their routes are on bp
    from facilitator.indicators.blueprint import bp

    app.register_blueprint(bp)
