"""Implementation indicators (issue 19): each home's two-minute monthly return.

``services`` holds the rules and the one write, ``queries`` the reads and the home's trend,
``reminder`` the email on the 1st of each month, ``views`` the facilitator's paper entry and the
CSV. The home sends its return through its link (``facilitator.join.indicators``); the API is
``facilitator.api.indicators``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.indicators import views  # noqa: F401 - its routes are on bp
    from facilitator.indicators.blueprint import bp

    app.register_blueprint(bp)
