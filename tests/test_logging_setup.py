"""Link tokens never reach a log line: werkzeug's and gunicorn's access logs and our own."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from facilitator.logging_setup import REDACTED, redact
from tests.support.crawl import world_config

TOKEN = "Abcdefghijklmnopqrstuvwxyz0123456789_-ABCDE"  # the shape of a real one: 43 URL-safe chars


@pytest.mark.parametrize(("text", "masked"), [
    (f'"GET /j/{TOKEN} HTTP/1.1" 200 -', f'"GET /j/{REDACTED} HTTP/1.1" 200 -'),
    (f"/j/{TOKEN}/next/calendar.ics", f"/j/{REDACTED}/next/calendar.ics"),
    (f"/h/{TOKEN}/sessions/4", f"/h/{REDACTED}/sessions/4"),
    (f"/feeds/{TOKEN}.ics", f"/feeds/{REDACTED}.ics"),
    (f"https://psl.example.org/h/{TOKEN}", f"https://psl.example.org/h/{REDACTED}"),
    ("/j/half-a-token", f"/j/{REDACTED}"),
    (f"/password/reset?token={TOKEN}&x=1", f"/password/reset?token={REDACTED}&x=1"),
    (f"token={TOKEN}", f"token={REDACTED}"),
    ("/login/sso/callback?code=abc123&state=xyz", f"/login/sso/callback?code={REDACTED}&state=xyz"),
    (f"/somewhere/{TOKEN}", f"/somewhere/{REDACTED}"),
    (f"/login?next=%2Fj%2F{TOKEN}", f"/login?next=%2Fj%2F{REDACTED}"),
    ("/groups/12/edit", "/groups/12/edit"),
    ("/api/v1/homes/3?left_on=2025-01-01", "/api/v1/homes/3?left_on=2025-01-01"),
    ("GET /static/css/app.css", "GET /static/css/app.css"),
    ("User 4 signed in", "User 4 signed in"),
])
def test_redact(text: str, masked: str) -> None:
    assert redact(text) == masked
    assert redact(masked) == masked


def test_werkzeug_access_log(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A real development server on loopback: its request line for a link is masked."""
    app = make_app(**world_config())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            base = f"http://127.0.0.1:{server.port}"
            for path in (f"/j/{TOKEN}", f"/feeds/{TOKEN}.ics", f"/password/reset?token={TOKEN}"):
                requests.get(base + path, timeout=10, headers={"Referer": f"{base}/h/{TOKEN}"})
    finally:
        server.shutdown()
        thread.join(timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "werkzeug"]
    assert len(lines) >= 3
    assert all(TOKEN not in line for line in lines), lines
    assert any(f"/j/{REDACTED}" in line for line in lines)
    assert TOKEN not in caplog.text


def test_gunicorn_access_log(make_app: Any, tmp_path: Path) -> None:
    """gunicorn's own access logger, with its default format and the Referer, writes no token."""
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    make_app(**world_config())  # installs the masking as the app would under gunicorn
    log_file = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log_file))
    config.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({referer}i)s')
    logger = Logger(config)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/j/{TOKEN}?token={TOKEN}", "PATH_INFO": f"/j/{TOKEN}",
               "QUERY_STRING": f"token={TOKEN}", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "192.0.2.1",
               "HTTP_REFERER": f"https://psl.example.org/h/{TOKEN}"}
    response = SimpleNamespace(status="404 NOT FOUND", status_code=404, sent=10, response_length=10,
                               headers=[("Content-Type", "text/html")])
    request = SimpleNamespace(headers=[("REFERER", f"https://psl.example.org/h/{TOKEN}")])
    logger.access(response, request, environ, timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    written = log_file.read_text()
    assert "192.0.2.1" in written and REDACTED in written
    assert TOKEN not in written, written


def test_our_own_logs(make_app: Any, caplog: pytest.LogCaptureFixture) -> None:
    app = make_app(**world_config())
    with caplog.at_level(logging.INFO):
        logging.getLogger("facilitator.join.views").warning("Unknown link %s", f"/j/{TOKEN}")
        app.logger.info(f"Redirecting /h/{TOKEN} to the meeting")
        logging.getLogger("some.library").info("fetched %(url)s", {"url": f"/feeds/{TOKEN}.ics"})
    ours = [r.getMessage() for r in caplog.records
            if r.name in ("facilitator.join.views", app.logger.name, "some.library")]
    assert len(ours) == 3 and all(REDACTED in line for line in ours), ours
    assert TOKEN not in caplog.text


def test_installing_twice_wraps_once(make_app: Any) -> None:
    make_app(**world_config())
    factory = logging.getLogRecordFactory()
    make_app(**world_config())
    assert logging.getLogRecordFactory() is factory
    assert getattr(factory, "redacts_tokens", False)
