"""The production shape: several gunicorn instances on one database, and two ``outbox send`` and
two ``sync`` workers running at the same time. Every email goes out exactly once and every Zoom
meeting is created exactly once.

Everything runs as separate processes against the test run's database (a SQLite file, or the
PostgreSQL schema of FACILITATOR_TEST_DATABASE_URL): three gunicorn instances on their own ports
take bookings through the API, then all four workers are started together, round after round,
until nothing is left. Zoom is a small fake API on loopback (``http.server``) that records every
create; mail goes to an SMTP server on loopback (aiosmtpd) that records every message.
"""

from __future__ import annotations

import contextlib
import email
import json
import os
import re
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from bench import servers, traffic
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models import MeetingSession, OutboxMessage
from facilitator.supervision.crypto import new_key
from tests.conftest import TEST_SECRET
from tests.support.calendar_witness import saw_mail
from tests.support.factories import Factory

pytestmark = pytest.mark.real_commits  # gunicorn and the workers run as processes of their own

ROOT = Path(__file__).resolve().parent.parent
INSTANCES = 3
BOOKINGS = 6  # each a weekly series of SERIES sessions
SERIES = 3
HOST_USER = "host@facilitator.example"


# A fake Zoom on loopback ---------------------------------------------------------------------------

class FakeZoom(ThreadingHTTPServer):
    """Zoom's token endpoint and meetings API, enough for create, find and read."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ZoomHandler)
        self.lock = threading.Lock()
        self.meetings: dict[str, dict[str, Any]] = {}
        self.creates: list[dict[str, Any]] = []
        self.next_id = 81_000_000_000

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.next_id += 1
            meeting_id = str(self.next_id)
            meeting = {**body, "id": int(meeting_id), "join_url": f"https://zoom.example/j/{meeting_id}",
                       "password": "123456", "start_url": f"https://zoom.example/s/{meeting_id}"}
            self.meetings[meeting_id] = meeting
            self.creates.append(meeting)
            return meeting


class _ZoomHandler(BaseHTTPRequestHandler):
    server: FakeZoom

    def log_message(self, *_args: Any) -> None:
        pass

    def _answer(self, status: int, body: Any = None) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return {}

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        path = urlsplit(self.path).path
        if path == "/oauth/token":
            self._body()
            self._answer(200, {"access_token": "fake-token", "token_type": "bearer", "expires_in": 3599})
        elif re.fullmatch(r"/v2/users/[^/]+/meetings", path):
            self._answer(201, self.server.create(self._body()))
        else:
            self._answer(404, {"code": 404, "message": "not found"})

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if re.fullmatch(r"/v2/users/[^/]+/meetings", path):
            with self.server.lock:
                listed = list(self.server.meetings.values())
            self._answer(200, {"meetings": listed, "next_page_token": ""})
        elif match := re.fullmatch(r"/v2/meetings/(\d+)", path):
            meeting = self.server.meetings.get(match.group(1))
            self._answer(200, meeting) if meeting else self._answer(404, {"code": 3001, "message": "gone"})
        else:
            self._answer(404, {"code": 404, "message": "not found"})

    def do_PATCH(self) -> None:  # noqa: N802
        self._body()
        self._answer(204)

    def do_DELETE(self) -> None:  # noqa: N802
        self._answer(204)


@pytest.fixture
def zoom() -> Iterator[FakeZoom]:
    server = FakeZoom()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


# A mailbox on loopback -----------------------------------------------------------------------------

class Mailbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[str, list[str]]] = []  # (Message-ID, recipients)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd
        message = email.message_from_bytes(envelope.content)
        saw_mail(envelope.original_content or envelope.content, "SMTP")
        with self.lock:
            self.messages.append((str(message["Message-ID"]), list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = servers.free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


# The test ------------------------------------------------------------------------------------------

def shared_env(app: Any, zoom: FakeZoom, smtp_port: int, instance: Path) -> dict[str, str]:
    config = app.config
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    env.update({
        "FACILITATOR_DATABASE_URL": config["DATABASE_URL"],
        "FACILITATOR_DATABASE_SCHEMA": config["DATABASE_SCHEMA"],
        "FACILITATOR_SECRET_KEY": TEST_SECRET, "FACILITATOR_NOTES_KEYS": config["NOTES_KEYS"],
        "FACILITATOR_MFA_REQUIRED_ROLES": "", "FACILITATOR_LOG_LEVEL": "WARNING",
        "FACILITATOR_ZOOM_ACCOUNT_ID": "acct", "FACILITATOR_ZOOM_CLIENT_ID": "client",
        "FACILITATOR_ZOOM_CLIENT_SECRET": "fake-secret-for-loopback", "FACILITATOR_ZOOM_HOST_USER": HOST_USER,
        "FACILITATOR_ZOOM_API_BASE": f"{zoom.base}/v2",
        "FACILITATOR_ZOOM_OAUTH_URL": f"{zoom.base}/oauth/token",
        "FACILITATOR_SYNC_INLINE_LIMIT": "0",  # bookings leave every create to the sync workers
        "FACILITATOR_MAIL_BACKEND": "smtp", "FACILITATOR_SMTP_HOST": "127.0.0.1",
        "FACILITATOR_SMTP_PORT": str(smtp_port), "FACILITATOR_SMTP_STARTTLS": "false",
        "FACILITATOR_MAIL_OUTBOX_DIR": str(instance / "outbox"),
        "PYTHONPATH": str(ROOT),
    })
    return env


def factory_spec(instance: Path) -> str:
    return f"facilitator:create_app(instance_path={str(instance)!r})"


def distinct_ports(count: int) -> list[int]:
    """Free ports on loopback, different from each other (all held open while they are chosen)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                   for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


def start_instances(env: dict[str, str], instance: Path, log_dir: Path) -> list[servers.Server]:
    """The gunicorn instances, started at the same time (each spends seconds loading the app); if
    one does not come up, those that did are stopped."""
    ports = distinct_ports(INSTANCES)
    with ThreadPoolExecutor(INSTANCES) as pool:
        futures = [pool.submit(servers.start_gunicorn, factory_spec(instance), name=f"instance{n}", env=env,
                               workers=1, log_dir=log_dir, port=port) for n, port in enumerate(ports)]
    failed = [f.exception() for f in futures if f.exception() is not None]
    if failed:
        for future in futures:
            if future.exception() is None:
                future.result().stop()
        raise failed[0]
    return [future.result() for future in futures]


def run_workers(env: dict[str, str], instance: Path) -> list[subprocess.CompletedProcess[str]]:
    """Two `outbox send` and two `sync`, started together."""
    flask = [sys.executable, "-m", "flask", "--app", factory_spec(instance)]
    commands = [[*flask, "outbox", "send"], [*flask, "outbox", "send"], [*flask, "sync"], [*flask, "sync"]]
    processes = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) for c in commands]
    results = []
    for command, process in zip(commands, processes, strict=True):
        out, _ = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, ""))
    return results


def test_instances_and_workers_share_one_database(make_app: Any, zoom: FakeZoom, mailbox: tuple[Mailbox, int],
                                                  tmp_path: Path) -> None:
    app = make_app(NOTES_KEYS=new_key(), MFA_REQUIRED_ROLES="")
    box, smtp_port = mailbox
    with app.app_context():
        make = Factory(app)
        facilitator = make.user("facilitator")
        homes = [make.home(contacts=2) for _ in range(3)]
        group = make.group(facilitators=[facilitator], homes=homes, joined_on=datetime.now(UTC).date()
                           - timedelta(days=30), provider="zoom")
        token = issue_api_token(facilitator)
        db.session.commit()
        group_id = group.id
        db.session.remove()
        db.engine.dispose()

    instance = tmp_path / "instance"
    env = shared_env(app, zoom, smtp_port, instance)
    started = start_instances(env, instance, tmp_path / "logs")
    try:
        first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)

        def book(n: int) -> traffic.Reply:
            body = {"group_id": group_id, "title": f"PSL session {n}",
                    "starts_at": (first + timedelta(hours=n)).isoformat(), "duration_minutes": 60,
                    "provider": "zoom", "repeat": {"every": "week", "count": SERIES}}
            return traffic.request(started[n % INSTANCES].port, "POST", "/api/v1/sessions",
                                   {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                   json.dumps(body).encode())

        with ThreadPoolExecutor(BOOKINGS) as pool:
            replies = list(pool.map(book, range(BOOKINGS)))
        assert [r.status for r in replies] == [201] * BOOKINGS, [r.body[:300] for r in replies]
        for server in started:
            assert traffic.request(server.port, "GET", "/healthz").status == 200
    finally:
        logs = "\n".join(s.log_tail() for s in started)
        for server in started:
            server.stop()
    assert "Traceback" not in logs, logs

    for _round in range(4):
        results = run_workers(env, instance)
        for result in results:
            assert result.returncode == 0, result.stdout
        if not pending(app):
            break
    assert not pending(app), "work left after four rounds of workers"

    with app.app_context():
        sessions = list(db.session.scalars(sa.select(MeetingSession)))
        messages = list(db.session.scalars(sa.select(OutboxMessage)))
        db.session.remove()
    assert len(sessions) == BOOKINGS * SERIES
    # Zoom: one create per session, and each session holds the meeting made for it.
    assert len(zoom.creates) == len(sessions), f"{len(zoom.creates)} creates for {len(sessions)} sessions"
    made = {str(m["id"]): m for m in zoom.creates}
    for session in sessions:
        assert session.sync_state == "synced", session.sync_error
        meeting = made[session.provider_meeting_id]
        assert session.ical_uid in meeting["agenda"], "a session holds another session's meeting"
    assert len({s.provider_meeting_id for s in sessions}) == len(sessions)
    # Mail: every message was sent, and the mail server got each one once.
    assert messages and all(m.status == "sent" for m in messages), Counter(m.status for m in messages)
    received = Counter(message_id for message_id, _rcpt in box.messages)
    assert received == Counter({m.message_id: 1 for m in messages}), {
        k: v for k, v in received.items() if v != 1}
    # Each series is one calendar entry: one invitation per contact per series (issue 15).
    assert len(messages) == BOOKINGS * len(homes) * 2
    assert {m.series_id for m in messages} == {s.series_id for s in sessions}


def pending(app: Any) -> bool:
    with app.app_context():
        left = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "pending")) or 0
        unsynced = db.session.scalar(sa.select(sa.func.count()).select_from(MeetingSession).where(
            MeetingSession.sync_state != "synced")) or 0
        db.session.remove()
        db.engine.dispose()
    return bool(left or unsynced)
