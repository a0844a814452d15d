"""The quarterly programme report (issue 20): figures gathered from the other areas' own reads,
shown as a page, a PDF and a CSV, and frozen as immutable snapshots.

``filters`` reads the period and filters, one module per section (``reach``, ``engagement``,
``conditions``, ``journey``, ``facilitation``, ``learning``) calls the queries that own each rule,
``figures`` puts them together as JSON-safe data, ``snapshots`` freezes them, ``views`` serves the
pages and ``facilitator.api.programme_reports`` the API. No section reads confidential text.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.reports import views  # noqa: F401 - its routes are on bp
    from facilitator.reports.blueprint import bp

    app.register_blueprint(bp)
