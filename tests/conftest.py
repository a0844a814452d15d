"""Shared fixtures: a migrated database per test run, a fresh app and clean tables per test."""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade

from facilitator import create_app
from facilitator.extensions import db
from tests import dbsetup, factories

TEST_SECRET = "test-secret-key-that-is-long-enough-for-the-check"


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


def pytest_sessionstart(session: pytest.Session) -> None:
    url = dbsetup.postgres_url()
    if url is None:
        return
    try:
        dbsetup.check_postgres_reachable(url)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means "not reachable"
        pytest.exit(f"PostgreSQL at {url} does not answer: {exc}", returncode=3)


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


@pytest.fixture(scope="session")
def test_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dbsetup.TestDatabase]:
    with dbsetup.database(tmp_path_factory.mktemp("db")) as database:
        app = create_app(base_config(database), instance_path=str(tmp_path_factory.mktemp("inst")))
        with app.app_context():
            upgrade(revision="heads")
            db.engine.dispose()
        yield database


@pytest.fixture
def make_app(test_database: dbsetup.TestDatabase, tmp_path: Any) -> Iterator[Any]:
    """Build apps on the test run's database; tables are emptied after the test."""
    apps: list[Flask] = []

    def build(**extra: Any) -> Flask:
        app = create_app(base_config(test_database, **extra), instance_path=str(tmp_path / "instance"))
        app.test_client_class = IsolatedClient
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    if apps:
        empty_tables(apps[0])


def empty_tables(app: Flask) -> None:
    """Delete every row (PostgreSQL: TRUNCATE ... RESTART IDENTITY) and close the app's connections."""
    with app.app_context():
        tables = list(reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
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


def pytest_report_header(config: pytest.Config) -> str:
    url = dbsetup.postgres_url()
    return f"database: {'PostgreSQL ' + url if url else 'SQLite'}; CI={os.environ.get('CI', '')}"
