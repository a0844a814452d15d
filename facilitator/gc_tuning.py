"""The garbage collector's thresholds for a long-running web or worker process (``GC_THRESHOLDS``).

An uncached engagement report of every group allocates a few hundred thousand small objects, and
with Python's default thresholds (700, 10, 10) that sets off a full collection every few
requests, each walking every object the app holds (its URL map, mappers, compiled templates):
measured at the benchmark's national scale, that pause alone lifted the dashboard's 95th
percentile from about 280 to 370-420 ms while the median stayed put. Fewer, larger young
collections keep the same memory bounded. An empty setting leaves Python's own thresholds.
"""

from __future__ import annotations

import gc

from flask import Flask


def thresholds(value: object) -> tuple[int, ...]:
    """``"100000,50,100"`` (or a list) → the three thresholds; ``""`` → none (keep Python's)."""
    items = value if isinstance(value, list | tuple) else str(value or "").split(",")
    parts = [str(item).strip() for item in items if str(item).strip()]
    if not parts:
        return ()
    if len(parts) != 3 or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise ValueError(f"GC_THRESHOLDS must be three whole numbers above 0, e.g. 100000,50,100 "
                         f"(or empty for Python's own), not {value!r}")
    return tuple(int(part) for part in parts)


def init_app(app: Flask) -> None:
    chosen = thresholds(app.config["GC_THRESHOLDS"])
    if chosen:
        gc.set_threshold(*chosen)
