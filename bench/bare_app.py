"""A bare Flask app that answers the join redirect from a dict: the yardstick for ``/j/<token>``.

It does what the real join link does at the HTTP level (look the token up, answer 303 to the
meeting) and nothing else: no database, no sign-in, no rate limit, no security headers. The
benchmark serves both with the same gunicorn settings in the same run and compares throughput.
The links come from the JSON file named by ``BENCH_JOIN_LINKS`` (token → meeting URL).
"""

from __future__ import annotations

import json
import os

from flask import Flask, abort, redirect


def create_app(links: dict[str, str] | None = None) -> Flask:
    app = Flask(__name__)
    if links is None:
        with open(os.environ["BENCH_JOIN_LINKS"], encoding="utf-8") as handle:
            links = json.load(handle)
    table = dict(links)

    @app.get("/j/<token>")
    def join(token: str):  # noqa: ANN202 - a Flask view
        url = table.get(token)
        if url is None:
            abort(404)
        return redirect(url, code=303)

    @app.get("/healthz")
    def healthz():  # noqa: ANN202 - a Flask view
        return {"status": "ok"}

    return app
