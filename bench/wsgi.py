"""The app as gunicorn serves it in the benchmark and load test: configured by ``FACILITATOR_*``
environment variables, with its instance folder in ``BENCH_INSTANCE_PATH`` (never the repo's)."""

from __future__ import annotations

import os

from facilitator import create_app

app = create_app(instance_path=os.environ.get("BENCH_INSTANCE_PATH") or None)
