"""Configuration layers: defaults < instance/config.py < FACILITATOR_* environment < test mapping."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from facilitator import create_app
from tests.conftest import TEST_SECRET


@pytest.fixture
def instance(tmp_path):
    path = tmp_path / "instance"
    path.mkdir()
    return path


def build(instance, **config):
    return create_app(config or None, instance_path=str(instance))


def test_defaults(instance, monkeypatch):
    monkeypatch.setenv("FACILITATOR_SECRET_KEY", TEST_SECRET)
    app = build(instance)
    assert app.config["TIMEZONE"] == "Europe/London"
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'facilitator.db'}"
    assert app.config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


def test_the_collector_thresholds_are_set_and_empty_keeps_pythons(instance, monkeypatch):
    import gc

    monkeypatch.setenv("FACILITATOR_SECRET_KEY", TEST_SECRET)
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        build(instance, GC_THRESHOLDS="")
        assert gc.get_threshold() == (700, 10, 10)
        monkeypatch.setenv("FACILITATOR_GC_THRESHOLDS", "20000,30,40")
        build(instance)
        assert gc.get_threshold() == (20000, 30, 40)
    finally:
        gc.set_threshold(*before)


def test_each_layer_overrides_the_one_below(instance, monkeypatch):
    (instance / "config.py").write_text(
        f"SECRET_KEY = {TEST_SECRET!r}\nTIMEZONE = 'Europe/Dublin'\n"
        "PUBLIC_BASE_URL = 'https://from-instance.example'\nLOGIN_MAX_FAILURES = 7\n")
    assert build(instance).config["TIMEZONE"] == "Europe/Dublin"
    monkeypatch.setenv("FACILITATOR_TIMEZONE", "America/New_York")
    monkeypatch.setenv("FACILITATOR_LOGIN_MAX_FAILURES", "9")
    app = build(instance)
    assert app.config["TIMEZONE"] == "America/New_York"
    assert app.config["LOGIN_MAX_FAILURES"] == 9  # environment values are parsed as JSON
    assert app.config["PUBLIC_BASE_URL"] == "https://from-instance.example"
    app = build(instance, TIMEZONE="Asia/Tokyo")
    assert app.config["TIMEZONE"] == "Asia/Tokyo"


def test_a_text_setting_from_the_environment_stays_text(instance, monkeypatch):
    monkeypatch.setenv("FACILITATOR_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("FACILITATOR_IMAP_PASSWORD", "true")
    monkeypatch.setenv("FACILITATOR_SMTP_PASSWORD", "12345")
    monkeypatch.setenv("FACILITATOR_SMTP_PORT", "2525")
    app = build(instance)
    assert app.config["IMAP_PASSWORD"] == "true"
    assert app.config["SMTP_PASSWORD"] == "12345"
    assert app.config["SMTP_PORT"] == 2525  # a number stays a number


def test_https_base_url_turns_on_secure_cookies(instance, monkeypatch):
    monkeypatch.setenv("FACILITATOR_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("FACILITATOR_PUBLIC_BASE_URL", "https://psl.example.scot")
    app = build(instance)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-facilitator"


def test_secret_key_is_generated_once_into_the_instance_folder(instance, caplog):
    with caplog.at_level(logging.WARNING, logger="facilitator"):
        first = build(instance).config["SECRET_KEY"]
    key_file = instance / "secret_key"
    assert key_file.read_text() == first and len(first) >= 48
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "generated one into" in caplog.text
    caplog.clear()
    assert build(instance).config["SECRET_KEY"] == first
    assert "generated" not in caplog.text


def test_an_empty_organizer_email_is_warned_about_in_production(instance, monkeypatch, caplog):
    """Under https an event's organizer would otherwise be a facilitator's own address, fixed for
    the event's life: a monitored mailbox is what production needs."""
    monkeypatch.setenv("FACILITATOR_SECRET_KEY", TEST_SECRET)
    with caplog.at_level(logging.WARNING, logger="facilitator"):
        build(instance, PUBLIC_BASE_URL="https://psl.example.scot")
    assert "ORGANIZER_EMAIL is empty" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="facilitator"):
        build(instance, PUBLIC_BASE_URL="https://psl.example.scot", ORGANIZER_EMAIL="psl-team@nhs.example")
        build(instance)  # http: a demo or a developer's machine
    assert "ORGANIZER_EMAIL" not in caplog.text


def test_make_run_sets_a_monitored_organizer_mailbox():
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    (line,) = [x for x in makefile.splitlines() if x.startswith("run: export FACILITATOR_ORGANIZER_EMAIL ?=")]
    assert "@" in line.split("?=", 1)[1]


@pytest.mark.parametrize(("key", "value", "message"), [
    ("SECRET_KEY", "short", "at least 32 characters"),
    ("TIMEZONE", "Mars/Olympus_Mons", "not a known time zone"),
    ("REPORT_CACHE_SIZE", "lots", "REPORT_CACHE_SIZE must be a whole number"),
    ("GC_THRESHOLDS", "100000,50", "GC_THRESHOLDS must be three whole numbers above 0"),
    ("GC_THRESHOLDS", "0,10,10", "GC_THRESHOLDS must be three whole numbers above 0"),
    ("REPORT_CACHE_SIZE", -1, "REPORT_CACHE_SIZE must be a whole number"),
    ("APOLOGY_RUN_AT_RISK", 0, "APOLOGY_RUN_AT_RISK must be a whole number, 1 or more"),
    ("APOLOGY_RUN_AT_RISK", "many", "APOLOGY_RUN_AT_RISK must be a whole number, 1 or more"),
    ("APOLOGY_DIGEST_HOUR", 24, "APOLOGY_DIGEST_HOUR must be an hour of the day"),
])
def test_bad_values_are_refused_at_start(instance, key, value, message):
    config = {"SECRET_KEY": TEST_SECRET, key: value}
    with pytest.raises(ValueError, match=message):
        build(instance, **config)


def test_database_connection_settings(app):
    """SQLite: WAL, busy timeout and foreign keys. PostgreSQL: the configured schema."""
    from facilitator.extensions import db

    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            assert conn.exec_driver_sql("SELECT current_schema()").scalar() == app.config["DATABASE_SCHEMA"]
            return
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == app.config["SQLITE_BUSY_TIMEOUT_MS"]
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
