"""The transactional outbox: real SMTP on loopback, retries, crashes, concurrent workers, reminders.

A crash between sending and recording (the process dies after the SMTP server accepted a message
but before the commit) is covered by the stable Message-ID: the message is sent again after its
lease expires, byte for byte the same with the same Message-ID, which mail servers and clients
treat as one message. ``test_a_crash_after_sending_resends_the_identical_message`` shows it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from facilitator import create_app
from facilitator.extensions import db
from facilitator.invites import outbox
from facilitator.invites.outbox import claim, queue_due_reminders, reminder_offsets, run_once
from facilitator.invites.services import queue_plain_email
from facilitator.models import OutboxMessage, ReminderOptOut, ReminderSend
from integrations.icslint import lint
from integrations.mailer import MailError, MemoryBackend, OutgoingEmail
from tests.conftest import base_config
from tests.integrations.test_mailer import Collector, free_port
from tests.support import dbsetup
from tests.support.factories import Factory
from tests.support.invites import (
    BASE,
    JOINED,
    NOW,
    START,
    WHEN,
    add_session,
    cancel,
    deliver,
    invites_config,
    outbox_rows,
    parse,
    reschedule,
    set_now,
)


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def group(make):
    homes = [make.home("Ardenlea House"), make.home("Bellfield Court")]
    return make.group("West of Scotland PSL", facilitators=[make.user("facilitator")], homes=homes,
                      joined_on=JOINED)


def count(model: type, *where: Any) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


class FailingBackend:
    def __init__(self, error: MailError) -> None:
        self.error = error
        self.calls = 0

    def send(self, email: OutgoingEmail) -> None:
        self.calls += 1
        raise self.error


# --------------------------------------------------------------------------- a real SMTP server


class SmtpServer:
    """aiosmtpd on a loopback port that can be down first and come up later."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = Collector()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[bytes]:
        return [e.original_content or e.content for e in self.collector.envelopes]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_app(make_app, smtp):
    app = make_app(**invites_config(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                                    SMTP_STARTTLS=False, SMTP_TIMEOUT=5, OUTBOX_MAX_ATTEMPTS=5))
    with app.app_context():
        yield app


def smtp_group(app, **kwargs: Any):
    """A group built on ``app`` (the ``make`` fixture would push the memory-backend app)."""
    make = Factory(app)
    homes = [make.home("Ardenlea House"), make.home("Bellfield Court")]
    return make.group("West of Scotland PSL", homes=homes, joined_on=JOINED, **kwargs)


def test_invites_go_through_a_real_smtp_server_as_imip(smtp_app, smtp):
    smtp.start()
    make = Factory(smtp_app)
    group = make.group("SMTP group", facilitators=[make.user("facilitator", email="ailsa@psl.example.org")],
                       homes=[make.home("Ardenlea House")], joined_on=JOINED)
    session = add_session(group)
    result = run_once()
    assert result.sent == 2 and result.failed == result.retrying == 0
    rows = {r.message_id: r for r in outbox_rows()}
    assert len(smtp.received) == 2
    for envelope, raw in zip(smtp.collector.envelopes, smtp.received, strict=True):
        msg = message_from_bytes(raw, policy=policy.default)
        row = rows[msg["Message-ID"]]
        assert envelope.rcpt_tos == [row.to_email] and envelope.mail_from == "sessions@facilitator.example"
        assert msg["To"].addresses[0].addr_spec == row.to_email
        assert msg["From"].addresses[0].addr_spec == "sessions@facilitator.example"
        assert msg["Reply-To"] == "ailsa@psl.example.org"
        assert msg["Subject"] == "Invitation: Peer Support and Learning, Tuesday 4 March at 10:00"
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["MIME-Version"] == "1.0"
        assert msg["Date"] == "Tue, 25 Feb 2025 12:00:00 +0000"
        assert msg.get_content_type() == "multipart/mixed"
        alternative, attachment = msg.iter_parts()
        assert [p.get_content_type() for p in alternative.iter_parts()] == [
            "text/plain", "text/html", "text/calendar"]
        calendar_part = list(alternative.iter_parts())[2]
        assert calendar_part.get_param("method") == "REQUEST"
        assert calendar_part.get_param("charset").upper() == "UTF-8"
        assert attachment.get_filename() == "invite.ics"
        calendar = calendar_part.get_payload(decode=True)
        assert b"UID:" + session.ical_uid.encode() in calendar
        assert lint(calendar, expected_method="REQUEST") == []
        assert WHEN in msg.get_body(("plain",)).get_content()
        assert raw.replace(b"\r\n", b"").count(b"\n") == 0, "CRLF line ends survive"
    assert {r.status for r in rows.values()} == {"sent"}


def test_smtp_down_keeps_messages_pending_then_sends_each_exactly_once(smtp_app, smtp):
    add_session(smtp_group(smtp_app))
    result = run_once()  # nothing listens on the port yet
    assert result.retrying == 4 and result.sent == 0
    rows = outbox_rows()
    assert {r.status for r in rows} == {"pending"}
    assert {r.attempts for r in rows} == {1}
    assert all("cannot reach SMTP server" in r.last_error for r in rows)
    assert {r.next_attempt_at for r in rows} == {NOW + timedelta(seconds=60)}

    smtp.start()
    assert run_once().sent == 0, "not before the backoff has passed"
    assert smtp.received == []
    set_now(smtp_app, NOW + timedelta(seconds=61))
    assert run_once().sent == 4
    assert run_once().sent == 0
    ids = Counter(message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in smtp.received)
    assert len(ids) == 4 and set(ids.values()) == {1}
    assert {r.status for r in outbox_rows()} == {"sent"}


def test_a_crash_after_sending_resends_the_identical_message(smtp_app, smtp, monkeypatch):
    smtp.start()
    add_session(smtp_group(smtp_app))
    real_sent = outbox._sent
    crashes = iter([True])

    def crash_once(message: OutboxMessage, now: Any) -> None:
        if next(crashes, False):
            raise KeyboardInterrupt("the worker died after the server accepted the message")
        real_sent(message, now)

    monkeypatch.setattr(outbox, "_sent", crash_once)
    with pytest.raises(KeyboardInterrupt):
        run_once(limit=1)
    db.session.rollback()
    assert len(smtp.received) == 1
    (crashed,) = [r for r in outbox_rows() if r.locked_by]
    assert crashed.status == "pending" and crashed.rendered_at is not None

    result = run_once()
    assert result.sent == 3, "the crashed message keeps its lease until it expires"
    set_now(smtp_app, NOW + timedelta(seconds=301))
    assert run_once().sent == 1
    copies = [raw for raw in smtp.received if crashed.message_id.encode() in raw]
    assert len(copies) == 2
    assert copies[0] == copies[1], "byte-identical, same Message-ID: the duplicate is recognisable"
    assert count(OutboxMessage, OutboxMessage.status == "sent") == 4


# --------------------------------------------------------------------- retries and failures


@pytest.fixture
def failing_app(make_app):
    app = make_app(**invites_config(OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_SECONDS=60))
    with app.app_context():
        yield app


def test_backoff_doubles_and_the_message_fails_after_max_attempts(failing_app):
    group = Factory(failing_app).group("Retry group", homes=[Factory(failing_app).home(contacts=1)],
                                       joined_on=JOINED)
    add_session(group)
    backend = FailingBackend(MailError("SMTP 451: try again later", transient=True, code=451))
    delays = []
    now = NOW
    for attempt in (1, 2, 3):
        set_now(failing_app, now)
        result = run_once(backend=backend)
        (row,) = outbox_rows()
        assert row.attempts == attempt
        if attempt < 3:
            assert result.retrying == 1 and row.status == "pending"
            delays.append(row.next_attempt_at - now)
            now = row.next_attempt_at
    assert delays == [timedelta(seconds=60), timedelta(seconds=120)]
    assert row.status == "failed" and row.last_error == "SMTP 451: try again later"
    assert backend.calls == 3
    set_now(failing_app, now + timedelta(days=1))
    assert run_once(backend=backend).failed == 0 and backend.calls == 3, "failed stays failed"


def test_a_permanent_refusal_fails_at_once(app, make):
    group = make.group("Refused group", homes=[make.home(contacts=1)], joined_on=JOINED)
    add_session(group)
    result = run_once(backend=FailingBackend(MailError("SMTP 550: no such user", transient=False, code=550)))
    assert result.failed == 1
    (row,) = outbox_rows()
    assert row.status == "failed" and row.attempts == 1 and "550" in row.last_error
    assert row.body_text is None and row.calendar is None, "no live link rests in a failed message"


def test_admin_outbox_page_lists_pending_and_failed_and_retries(app, auth, client, make):
    group = make.group("Outbox group", homes=[make.home("Ardenlea House", contacts=2)], joined_on=JOINED)
    add_session(group)
    run_once(backend=FailingBackend(MailError("SMTP 550: mailbox unavailable", transient=False, code=550)),
             limit=1)
    auth.login("admin")
    page = client.get("/outbox").get_data(as_text=True)
    assert "SMTP 550: mailbox unavailable" in page and "Failed" in page and "Pending" in page
    assert page.count("Invitation: Peer Support and Learning") == 1, "the pending one is not rendered yet"
    (failed,) = outbox_rows(status="failed")
    response = auth.post(f"/outbox/{failed.id}/retry", {}, page="/outbox")
    assert response.status_code == 302
    assert outbox_rows(status="failed") == []
    result, sent = deliver(app)
    assert result.sent == 2 and len(sent) == 2
    assert "Nothing here." in client.get("/outbox?show=failed").get_data(as_text=True)
    assert client.get("/outbox?show=sent").get_data(as_text=True).count(">Sent<") == 2


def test_retry_all_failed(app, auth, client, make):
    group = make.group("Retry all", homes=[make.home(contacts=3)], joined_on=JOINED)
    add_session(group)
    run_once(backend=FailingBackend(MailError("SMTP 554: rejected", transient=False, code=554)))
    assert len(outbox_rows(status="failed")) == 3
    auth.login("admin")
    auth.post("/outbox/retry-failed", {}, page="/outbox")
    assert deliver(app)[0].sent == 3


def test_outbox_pages_are_for_admins_only(app, auth, client):
    auth.login("facilitator")
    assert client.get("/outbox").status_code == 403


# ---------------------------------------------------------------------- concurrent workers


class SlowMemory(MemoryBackend):
    def send(self, email: OutgoingEmail) -> None:
        time.sleep(0.005)
        MemoryBackend.send(self, email)


@pytest.mark.real_commits  # a second connection holds the rows
def test_claims_by_two_workers_never_overlap(app, group):
    add_session(group)
    add_session(group, starts_at=START + timedelta(days=7))
    first = claim("worker-a", 5)
    second = claim("worker-b", 5)
    assert len(first) == 5 and len(second) == 3
    assert not set(first) & set(second)
    assert claim("worker-c", 5) == []


@pytest.mark.real_commits  # a second connection holds the row
@pytest.mark.skipif(dbsetup.postgres_url() is None, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_on_postgresql_a_message_another_worker_holds_is_skipped_without_waiting(app, group):
    add_session(group)
    ids = [r.id for r in outbox_rows()]
    db.session.rollback()
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT id FROM outbox_messages WHERE id = :id FOR UPDATE"), {"id": ids[0]})
        assert claim("worker-a", 10) == ids[1:]
        other.rollback()
    assert claim("worker-b", 10) == ids[:1]


@pytest.mark.real_commits  # workers in threads
def test_several_workers_at_once_send_each_message_exactly_once(app, make):
    homes = [make.home(contacts=3) for _ in range(4)]
    group = make.group("Busy group", homes=homes, joined_on=JOINED)
    for week in range(3):
        add_session(group, starts_at=START + timedelta(days=7 * week))
    total = count(OutboxMessage)
    assert total == 36
    db.session.rollback()  # the test's own transaction would hold SQLite's write lock
    backend = SlowMemory()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                while run_once(backend=backend, worker=name, limit=5).outcomes:
                    pass
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    sent_ids = Counter(email.message_id for email, _ in backend.sent)
    assert len(sent_ids) == total and set(sent_ids.values()) == {1}
    assert count(OutboxMessage, OutboxMessage.status == "sent") == total


# ---------------------------------------------------------------------------------- reminders


def test_reminders_go_24_hours_and_1_hour_before_exactly_once(app, group):
    session = add_session(group)
    deliver(app)
    set_now(app, START - timedelta(hours=24, minutes=1))
    assert deliver(app)[1] == []
    set_now(app, START - timedelta(hours=24))
    result, sent = deliver(app)
    assert result.reminders == 4 and len(sent) == 4
    for mail in sent:
        assert mail.calendar is None, "a reminder is a plain email, not a new invite"
        assert mail.msg["Subject"] == "Reminder: Peer Support and Learning, Tuesday 4 March at 10:00"
        assert "starts in 1 day" in mail.text and WHEN in mail.text
        (join,) = mail.links(f"{BASE}/j/")
        (stop,) = set(mail.links(f"{BASE}/h/"))
        assert mail.msg["List-Unsubscribe"] == f"<{stop}/reminders>"
        assert mail.msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert f"{stop}/reminders" in mail.text and f"{stop}/reminders" in mail.html
    set_now(app, START - timedelta(hours=2))
    assert deliver(app)[1] == []
    set_now(app, START - timedelta(minutes=59))
    _, sent = deliver(app)
    assert len(sent) == 4 and all("starts in 1 hour" in m.text for m in sent)
    set_now(app, START - timedelta(minutes=5))
    assert deliver(app)[1] == []
    assert count(ReminderSend) == 8
    assert count(ReminderSend, ReminderSend.session_id == session.id, ReminderSend.offset_minutes == 60) == 4


def test_no_reminder_for_a_cancelled_session(app, group):
    session = add_session(group)
    deliver(app)
    set_now(app, START - timedelta(hours=3))
    cancel(session)
    deliver(app)
    set_now(app, START - timedelta(minutes=30))
    result, sent = deliver(app)
    assert result.reminders == 0 and sent == []


def test_a_reminder_for_a_time_the_session_moved_away_from_is_dropped(app, group):
    session = add_session(group)
    deliver(app)
    set_now(app, START - timedelta(hours=23))
    queue_due_reminders()  # queued, but the worker is stopped before sending
    db.session.commit()
    assert len(outbox_rows(kind="reminder")) == 4
    reschedule(session, starts_at=START + timedelta(days=2))
    result, sent = deliver(app)
    assert [m.method for m in sent] == ["REQUEST"] * 4, "the update goes, the stale reminders do not"
    assert result.skipped == 4
    assert {r.last_error for r in outbox_rows(kind="reminder")} == {"The session moved to another time."}
    set_now(app, START + timedelta(days=1, minutes=1))
    _, sent = deliver(app)
    assert len(sent) == 4 and all("Thursday 6 March, 10:00–11:30 (UK time)" in m.text for m in sent)


def test_only_the_nearest_reminder_goes_when_several_are_due(app, group):
    add_session(group)
    deliver(app)
    set_now(app, START - timedelta(minutes=40))  # the worker was down for a day
    result, sent = deliver(app)
    assert result.reminders == 4 and all("starts in 1 hour" in m.text for m in sent)
    assert count(ReminderSend) == 8, "both offsets are recorded: neither goes again"


def test_a_late_invite_gets_no_day_before_reminder(app, group):
    set_now(app, START - timedelta(hours=3))
    add_session(group)
    result, sent = deliver(app)
    assert result.reminders == 0 and {m.method for m in sent} == {"REQUEST"}
    set_now(app, START - timedelta(minutes=50))
    _, sent = deliver(app)
    assert len(sent) == 4 and all("starts in 1 hour" in m.text for m in sent)


def test_a_contact_stops_reminders_with_one_click(app, client, group):
    add_session(group)
    add_session(group, starts_at=START + timedelta(days=7))
    deliver(app)
    set_now(app, START - timedelta(hours=24))
    _, sent = deliver(app)
    mail = sent[0]
    stop = mail.msg["List-Unsubscribe"].strip("<>").removeprefix(BASE)
    # A mail client's one-click unsubscribe (RFC 8058): a POST with no CSRF token, no cookie.
    response = client.post(stop, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert count(ReminderOptOut) == 1
    set_now(app, START - timedelta(minutes=59))
    _, sent = deliver(app)
    assert len(sent) == 3 and mail.to not in {m.to for m in sent}
    # Invites still reach them.
    set_now(app, START + timedelta(hours=2))
    add_session(group, starts_at=START + timedelta(days=14))
    _, sent = deliver(app)
    assert mail.to in {m.to for m in sent}


def test_the_invitation_and_the_reminder_carry_a_we_cant_make_it_link_to_that_session(app, client, group):
    """Issue 18: one tap from either email opens the home's apology page for that session."""
    session = add_session(group)
    _, invitations = deliver(app)
    set_now(app, START - timedelta(hours=24))
    _, reminders = deliver(app)
    assert invitations and reminders
    for mail in (*invitations, *reminders):
        (home,) = set(mail.links(f"{BASE}/h/"))
        apology = f"{home}/sessions/{session.id}/apology"
        assert apology in mail.text and apology in mail.html
        assert "We can't make it" in mail.text and "We can't make it</a>" in mail.html
        page = client.get(apology.removeprefix(BASE))
        assert page.status_code == 200 and session.title in page.get_data(as_text=True)


def test_the_reminders_page_shows_and_only_a_post_changes(app, client, group):
    add_session(group)
    deliver(app)
    set_now(app, START - timedelta(hours=24))
    _, (mail, *_) = deliver(app)
    page = mail.msg["List-Unsubscribe"].strip("<>").removeprefix(BASE)
    response = client.get(page)
    assert response.status_code == 200 and "Stop reminder emails" in response.get_data(as_text=True)
    assert count(ReminderOptOut) == 0, "opening the link (or a link scanner) changes nothing"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    client.post(page, data={"action": "stop"})
    assert count(ReminderOptOut) == 1
    client.post(page, data={"action": "start"})
    assert count(ReminderOptOut) == 0


@pytest.mark.parametrize(("value", "minutes"), [
    ("24h,1h", [1440, 60]), ("1440, 60", [1440, 60]), ([60, 1440], [1440, 60]), ("1d,30m", [1440, 30]),
    ("", []),
])
def test_reminder_offsets_are_read_in_several_forms(value, minutes):
    assert reminder_offsets(value) == minutes


def test_reminder_offsets_refuse_nonsense():
    with pytest.raises(ValueError, match="REMINDER_OFFSETS"):
        reminder_offsets("soon")


# ------------------------------------------------------------------------- CLI and file backend


def test_outbox_send_command_writes_eml_files_by_default(make_app, tmp_path):
    app = make_app(FROZEN_NOW=NOW)  # MAIL_BACKEND defaults to "file"
    with app.app_context():
        make = Factory(app)
        group = make.group("CLI group", homes=[make.home(contacts=2)], joined_on=JOINED)
        add_session(group)
        runner = app.test_cli_runner()
        result = runner.invoke(args=["outbox", "send"])
        assert result.exit_code == 0, result.output
        assert "Outbox: 2 sent, 0 to retry, 0 failed" in result.output
        directory = Path(app.instance_path) / "outbox"
        files = sorted(directory.glob("*.eml"))
        assert len(files) == 2
        for path in files:
            msg = parse(path.read_bytes())
            assert msg.method == "REQUEST" and lint(msg.calendar, expected_method="REQUEST") == []
        status = runner.invoke(args=["outbox", "status"])
        assert "sent: 2" in status.output
        assert runner.invoke(args=["outbox", "send"]).output.startswith("Outbox: 0 sent")


@pytest.mark.parametrize(("setting", "message"), [
    ({"MAIL_FROM": "not an address"}, "MAIL_FROM"),
    ({"MAIL_BACKEND": "smtp"}, "SMTP_HOST"),
    ({"MAIL_BACKEND": "carrier-pigeon"}, "MAIL_BACKEND"),
    ({"REMINDER_OFFSETS": "tomorrow"}, "REMINDER_OFFSETS"),
])
def test_unusable_mail_settings_stop_the_app_at_start(make_app, setting, message):
    with pytest.raises(ValueError, match=message):
        make_app(**setting)


def test_the_demo_runs_the_outbox_so_invites_appear_at_once(make_app):
    app = make_app()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
        assert "Outbox: " in result.output and "Emails are written as .eml files to" in result.output
        assert "workers run alongside the web app" in result.output  # nobody has to run a command
        pending = db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.status == "pending"))
        assert pending == 0, "whatever the demo queued has been delivered"
        files = list((Path(app.instance_path) / "outbox").glob("*.eml"))
        assert len(files) == count(OutboxMessage, OutboxMessage.status == "sent")


# ------------------------------------------------------------------ account emails: the schema


def test_migration_0007_merges_the_heads_and_its_downgrade_drops_account_emails(tmp_path):
    """Account emails have no contact; going back before 0007 drops them and restores NOT NULL."""
    with dbsetup.database(tmp_path, "accountmail") as database:
        app = create_app(base_config(database), instance_path=str(tmp_path / "inst"))
        with app.app_context():
            config = app.extensions["migrate"].migrate.get_config()
            script = ScriptDirectory.from_config(config)
            assert len(script.get_heads()) == 1, "0007 merged the branches into one head"
            assert script.get_revision("0007").down_revision == ("0003", "0004", "0005", "0006")
            upgrade(revision="heads")
            queue_plain_email(to_email="u@example.org", to_name="U", subject="s", text="t", html="<p>h</p>")
            db.session.commit()

            def contact_id_nullable() -> bool:
                columns = sa.inspect(db.engine).get_columns("outbox_messages")
                return next(c["nullable"] for c in columns if c["name"] == "contact_id")

            assert contact_id_nullable()
            db.session.remove()
            downgrade(revision="0006")
            assert not contact_id_nullable()
            with db.engine.connect() as conn:
                assert conn.scalar(sa.text("SELECT count(*) FROM outbox_messages")) == 0
            upgrade(revision="heads")
            assert contact_id_nullable()
            db.engine.dispose()
