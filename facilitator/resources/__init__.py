"""The resource library (issue 19): public NTTP / NES learning resources facilitators point homes to.

``services`` holds the one statement of what a resource must be (``resource_problems``) and the
writes; ``queries`` the search; ``importer`` the all-or-nothing CSV import (its generic half is
``facilitator.csv_import``, shared with the partner directory); ``forms`` and ``views`` the staff
screens. The API is ``facilitator.api.resources``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.resources import views  # noqa: F401 - routes on bp
    from facilitator.resources.blueprint import bp

    app.register_blueprint(bp)
