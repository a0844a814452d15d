"""Shared fixtures: the databases, the apps, clients and the helpers every test uses.

Each pytest process (one per ``pytest-xdist`` worker) has two migrated databases:

- the **rollback** database, where every test runs inside one transaction rolled back at its
  end (``tests/support/rollback.py``): nothing is deleted between tests;
- the **commit** database, for tests marked ``real_commits`` (other threads or processes read
  what was written: a browser and its server thread, racing workers, gunicorn), emptied after
  each of them.

Apps are built once per distinct configuration and process and reset between tests
(``tests/support/apps.py``).
"""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import sqlalchemy as sa
from flask import Flask, has_app_context, request_finished
from flask.testing import FlaskClient
from flask_migrate import upgrade

from facilitator import create_app
from facilitator.extensions import db
from tests.support import dbsetup, factories
from tests.support.apps import AppCache
from tests.support.calendar_witness import (
    BROKEN_CALENDAR,
    CalendarWitness,
    harvest,
    response_finished,
    start_witness,
    stop_witness,
)
from tests.support.clock import FakeTime
from tests.support.oracles import Oracles
from tests.support.rollback import RollbackDatabase

TEST_SECRET = "test-secret-key-that-is-long-enough-for-the-check"
REAL_COMMITS = "real_commits"
FRESH_APP = "fresh_app"  # the test changes the app itself (adds a route): it gets one of its own
# The suite's own budget on two cores, browser tests included (issue 12); printed at the end.
WALL_TIME_TARGET_SECONDS = {"SQLite": 6 * 60, "PostgreSQL": 8 * 60}


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Flask reuses an already pushed app context of the same app, which would share ``g`` and the
    database session between the test and its requests. The test's own transaction is ended
    first, so it neither holds a lock nor keeps reading an old snapshot.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


# The run ---------------------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    config.stash[_STARTED] = time.monotonic()


_STARTED = pytest.StashKey[float]()


def pytest_sessionstart(session: pytest.Session) -> None:
    url = dbsetup.postgres_url()
    if url is None:
        return
    try:
        dbsetup.check_postgres_reachable(url)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        pytest.exit(f"PostgreSQL at {url} does not answer: {exc}", returncode=3)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres_only") is not None and dbsetup.postgres_url() is None:
        pytest.skip(f"needs PostgreSQL: set {dbsetup.PG_URL_ENV}")


def pytest_report_header(config: pytest.Config) -> str:
    url = dbsetup.postgres_url()
    return f"database: {'PostgreSQL ' + url if url else 'SQLite'}; CI={os.environ.get('CI', '')}"


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The suite's wall time against its budget (the controller prints it, not each worker)."""
    if hasattr(config, "workerinput"):
        return
    seconds = time.monotonic() - config.stash[_STARTED]
    database = "PostgreSQL" if dbsetup.postgres_url() else "SQLite"
    target = WALL_TIME_TARGET_SECONDS[database]
    verdict = "within" if seconds <= target else "OVER"
    terminalreporter.write_line(
        f"Test suite on {database}: {seconds / 60:.1f} min wall time ({seconds:.0f} s), "
        f"{verdict} the {target // 60}-minute budget.", bold=True)


# Databases and apps ------------------------------------------------------------------------------

def base_config(database: dbsetup.TestDatabase, **extra: Any) -> dict[str, Any]:
    config = {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 64,
        "MFA_REQUIRED_ROLES": "",  # two-factor is switched on by the tests that need it
        **database.config(),
    }
    config.update(extra)
    return config


def migrate(database: dbsetup.TestDatabase, instance: Path) -> None:
    app = create_app(base_config(database), instance_path=str(instance))
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dbsetup.TestDatabase]:
    """The commit database: real commits, emptied after each test that uses it."""
    with dbsetup.database(tmp_path_factory.mktemp("db"), name="commit") as database:
        migrate(database, tmp_path_factory.mktemp("inst"))
        yield database


@pytest.fixture(scope="session")
def rollback_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RollbackDatabase]:
    with dbsetup.database(tmp_path_factory.mktemp("db"), name="rollback") as database:
        migrate(database, tmp_path_factory.mktemp("inst"))
        shared = RollbackDatabase(database.url, database.schema)
        shared.database = database  # type: ignore[attr-defined]
        yield shared
        shared.close()


@pytest.fixture(scope="session")
def app_caches(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, AppCache]]:
    caches: dict[str, AppCache] = {}
    yield caches
    for cache in caches.values():
        cache.close()


@pytest.fixture
def real_commits(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker(REAL_COMMITS) is not None


@pytest.fixture
def make_app(request: pytest.FixtureRequest, real_commits: bool, app_caches: dict[str, AppCache],
             tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Iterator[Any]:
    """``make_app(**config)``: an app on the test's database with these settings on top."""
    if real_commits:
        database = request.getfixturevalue("test_database")
        shared = None
    else:
        shared = request.getfixturevalue("rollback_database")
        database = shared.database
    cache = app_caches.get("commit" if real_commits else "rollback")
    if cache is None:
        cache = app_caches["commit" if real_commits else "rollback"] = AppCache(
            lambda extra, instance: _build(database, shared, extra, instance),
            tmp_path_factory.mktemp("apps"))
    used: list[Flask] = []
    fresh = request.node.get_closest_marker(FRESH_APP) is not None

    def build(**extra: Any) -> Flask:
        app = cache.get(extra, {id(a) for a in used}, tmp_path / "instance", fresh=fresh)
        used.append(app)
        return app

    try:
        yield build
    finally:
        for app in used:
            harvest(app)
        if shared is not None:
            shared.reset()
        elif used:
            empty_tables(used[0])
        for app in used:
            cache.release(app)


def _build(database: dbsetup.TestDatabase, shared: RollbackDatabase | None, extra: dict[str, Any],
           instance: Path) -> Flask:
    config = base_config(database, **extra)
    if shared is not None:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = shared.engine_options()
    app = create_app(config, instance_path=str(instance))
    app.test_client_class = IsolatedClient
    if shared is not None:
        with app.app_context():
            shared.attach(db.engine)
    return app


def empty_tables(app: Flask) -> None:
    """Delete every row (PostgreSQL: TRUNCATE ... RESTART IDENTITY) and close the app's connections."""
    with app.app_context():
        db.session.remove()
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SET LOCAL statement_timeout = 0"))  # the app's limits are not ours
                conn.execute(sa.text("SET LOCAL lock_timeout = 0"))
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def app(make_app: Any) -> Iterator[Flask]:
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make(app: Flask) -> factories.Factory:
    return factories.Factory(app)


@pytest.fixture
def auth(client: FlaskClient, make: factories.Factory) -> factories.Auth:
    return factories.Auth(client, make)


@pytest.fixture
def api(app: Flask, make: factories.Factory) -> factories.ApiClient:
    return factories.ApiClient(app, make)


@pytest.fixture
def fake_time(request: pytest.FixtureRequest) -> FakeTime:
    """A clock that only moves when something sleeps on it; from the test module's ``NOW``, if any."""
    return FakeTime(getattr(request.module, "NOW", FakeTime.START))


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """HTTP at the ``requests`` boundary: nothing reaches the network, and every expected call
    must be made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture(scope="session")
def calendar_oracles() -> Iterator[Oracles]:
    """icalendar, vobject, ical.js and libical; Node.js starts when the first calendar is read."""
    oracles = Oracles()
    yield oracles
    oracles.close()


@pytest.fixture(autouse=True)
def calendar_witness(request: pytest.FixtureRequest, calendar_oracles: Oracles) -> Iterator[CalendarWitness]:
    """Every calendar the test produces (``tests/support/calendar_witness.py``), read at its end
    by all four oracles: a problem fails the test's teardown. Autouse fixtures start first, so
    this one ends after ``make_app`` has handed over the mail its apps kept."""
    witness = CalendarWitness()
    start_witness(witness)
    request_finished.connect(response_finished)
    try:
        yield witness
    finally:
        request_finished.disconnect(response_finished)
        stop_witness()
    if witness.calendars() and request.node.get_closest_marker(BROKEN_CALENDAR) is None:
        problems = witness.problems(calendar_oracles)
        if problems:
            pytest.fail(f"{len(problems)} of the {len(witness.calendars())} calendars this test produced "
                        "fail an oracle:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any accidental outbound SMTP connection fails the test instead of sending mail."""
    import smtplib

    real_init = smtplib.SMTP.__init__

    def guarded(self: smtplib.SMTP, host: str = "", *args: Any, **kwargs: Any) -> None:
        if host and host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"test tried to send real mail through {host}")
        real_init(self, host, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "__init__", guarded)
