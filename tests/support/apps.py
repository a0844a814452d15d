"""One app per distinct configuration per pytest process, reset between the tests that use it.

Building an app costs more than most tests (every URL rule is compiled, every extension built),
and the suite asks for a few dozen configurations in all. So ``AppCache`` keeps each one and puts
it back as it was built before the next test: its configuration, and the state its extensions
keep in memory (provider tokens, sent mail, cached report parts, rate-limit counters, the
identity provider's metadata). A test that asks twice for the same configuration gets a second,
separate app, as it would without the cache.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask

from facilitator.extensions import db


def config_key(extra: dict[str, Any]) -> str:
    return repr(sorted(extra.items(), key=lambda item: item[0]))


class AppCache:
    def __init__(self, build: Callable[[dict[str, Any], Path], Flask], root: Path) -> None:
        self._build = build
        self._root = root
        self._apps: dict[str, Flask] = {}
        self._snapshots: dict[int, dict[str, Any]] = {}
        self._built = 0

    def get(self, extra: dict[str, Any], taken: set[int], own_instance: Path, fresh: bool = False) -> Flask:
        """The app of this configuration, unless the test already has it or wants its own app
        (it adds routes, say): then a new one, used by that test alone, in ``own_instance`` (the
        same folder for all of a test's own apps, as without the cache)."""
        key = config_key(extra)
        app = self._apps.get(key)
        if fresh or (app is not None and id(app) in taken):
            return self._new(extra, own_instance, cache_as=None)
        if app is None:
            self._built += 1
            app = self._new(extra, self._root / f"app-{self._built}", cache_as=key)
        return app

    def _new(self, extra: dict[str, Any], instance: Path, cache_as: str | None) -> Flask:
        app = self._build(extra, instance)
        self._snapshots[id(app)] = dict(app.config)
        if cache_as is not None:
            self._apps[cache_as] = app
        return app

    def release(self, app: Flask) -> None:
        """After the test: the app as it was built (or dropped, if it was a one-off)."""
        snapshot = self._snapshots.get(id(app))
        if app not in self._apps.values():
            _dispose(app)
            self._snapshots.pop(id(app), None)
            return
        app.config.clear()
        app.config.update(snapshot or {})
        reset_extensions(app)

    def close(self) -> None:
        for app in self._apps.values():
            _dispose(app)


def reset_extensions(app: Flask) -> None:
    """Forget what the app's extensions learnt during a test."""
    extensions = app.extensions
    hub = extensions.get("facilitator.providers")
    if hub is not None:
        hub.sleep = time.sleep
        hub.token_store.forget()
    backend = extensions.get("mail_backend")
    if hasattr(backend, "sent"):
        backend.sent.clear()
    directory = getattr(backend, "directory", None)
    if directory is not None and Path(directory).exists():
        shutil.rmtree(directory)
    parts = extensions.get("report_parts")
    if parts is not None:
        parts.clear()
    limiter = extensions.get("facilitator.limiter")
    if limiter is not None:
        with contextlib.suppress(Exception):  # a test's deliberately broken storage: nothing to reset
            limiter.reset()
    oauth = extensions.get("facilitator.oidc")
    if oauth is not None:
        oauth._clients.clear()  # authlib keeps each client with the metadata it fetched


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
