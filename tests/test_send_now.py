"""Issue 14, item 19: a facilitator sees where each email of their session stands and sends the
waiting ones now, through the outbox's own send path, against a real SMTP server on loopback
(aiosmtpd): an outage loses nothing, a message a worker holds is left to it, and no one sees or
sends another facilitator's session's emails."""

from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from facilitator.extensions import db
from facilitator.invites.outbox import claim, run_once, send_session_now
from tests.integrations.test_mailer import REFUSE_PERMANENT
from tests.support.factories import ApiClient, Auth, Factory
from tests.support.invites import (
    JOINED,
    NOW,
    START,
    add_session,
    cancel,
    invites_config,
    outbox_rows,
    reschedule,
)
from tests.test_outbox import SlowMemory, SmtpServer


@pytest.fixture
def smtp():
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


@pytest.fixture
def world(smtp_app):
    make = Factory(smtp_app)
    facilitator = make.user("facilitator", name="Ailsa Fraser")
    group = make.group("West of Scotland PSL", facilitators=[facilitator], joined_on=JOINED,
                       homes=[make.home("Ardenlea House"), make.home("Bellfield Court")])
    return make, facilitator, group


def signed_in(app, make, user):
    client = app.test_client()
    Auth(client, make).login(user)
    return Auth(client, make)


def page(auth, session) -> str:
    return auth.client.get(f"/sessions/{session.id}").get_data(as_text=True)


def send_now(auth, session):
    return auth.post(f"/sessions/{session.id}/invitations/send", {}, page=f"/sessions/{session.id}")


def flashed(auth, response) -> str:
    html = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    return " ".join(re.findall(r'<p class="flash [^"]*">([^<]*)</p>', html))


def message_ids(smtp) -> Counter:
    return Counter(message_from_bytes(raw, policy=policy.default)["Message-ID"] for raw in smtp.received)


def test_the_facilitator_sees_every_email_and_sends_the_waiting_ones_now(smtp_app, smtp, world):
    make, facilitator, group = world
    smtp.start()
    session = add_session(group)
    auth = signed_in(smtp_app, make, facilitator)
    before = page(auth, session)
    assert before.count('class="email-state email-queued"') == 4 and "Send now" in before
    assert "Ardenlea House" in before and "Invitation" in before

    response = send_now(auth, session)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{session.id}#emails")
    assert flashed(auth, response) == "Sent 4."
    assert sorted(message_ids(smtp).values()) == [1, 1, 1, 1]
    after = page(auth, session)
    assert after.count('class="email-state email-sent"') == 4 and "Send now" not in after
    assert "Tuesday 25 February 2025, 12:00" in after  # sent at
    assert run_once().sent == 0, "the worker finds nothing left to send"


def test_an_smtp_outage_keeps_every_email_queued_with_its_error_and_says_so(smtp_app, smtp, world):
    make, facilitator, group = world
    session = add_session(group)  # nothing listens on the port yet
    auth = signed_in(smtp_app, make, facilitator)
    text = flashed(auth, send_now(auth, session))
    assert text.startswith("Sent 0, 1 failed: The mail server could not be reached. 1 email stays queued")
    assert "nothing is lost" in text and "3 more were not tried while it fails" in text
    tried, *untried = outbox_rows()
    retry_at = NOW + timedelta(seconds=60)
    assert (tried.status, tried.attempts, tried.next_attempt_at) == ("pending", 1, retry_at)
    assert "cannot reach SMTP server" in tried.last_error
    assert {(r.status, r.attempts, r.locked_until, r.last_error) for r in untried} == {
        ("pending", 0, None, None)}
    html = page(auth, session)
    assert html.count('class="email-state email-will_retry"') == 1
    assert html.count('class="email-state email-queued"') == 3
    assert "The mail server could not be reached." in html and "cannot reach SMTP server" in html
    assert "Will retry</span> at Tuesday 25 February 2025, 12:01" in " ".join(html.split())

    smtp.start()  # back up: "Send now" does not wait for the backoff
    assert flashed(auth, send_now(auth, session)) == "Sent 4."
    assert sorted(message_ids(smtp).values()) == [1, 1, 1, 1]
    assert {r.status for r in outbox_rows()} == {"sent"}


def test_the_worker_takes_what_send_now_left_untried_at_once(smtp_app, smtp, world):
    make, facilitator, group = world
    session = add_session(group)
    auth = signed_in(smtp_app, make, facilitator)
    send_now(auth, session)
    smtp.start()
    assert run_once().sent == 3, "the untried three: no lease held, no backoff"
    assert flashed(auth, send_now(auth, session)) == "Sent 1."


def test_a_message_the_worker_holds_is_left_to_it(smtp_app, smtp, world):
    make, facilitator, group = world
    smtp.start()
    session = add_session(group)
    (held,) = claim("the-outbox-worker", 1)
    auth = signed_in(smtp_app, make, facilitator)
    assert 'class="email-state email-sending"' in page(auth, session)
    text = flashed(auth, send_now(auth, session))
    assert text == "Sent 3. 1 email was already being sent by the outbox."
    (left,) = outbox_rows(id=held)
    assert left.status == "pending" and left.locked_by == "the-outbox-worker"
    assert left.message_id not in message_ids(smtp)


def test_updates_cancellations_reminders_and_a_refused_address_read_as_such(smtp_app, smtp, world):
    make, facilitator, group = world
    group.memberships[0].home.contacts[0].email = REFUSE_PERMANENT
    db.session.commit()
    smtp.start()
    session = add_session(group)
    auth = signed_in(smtp_app, make, facilitator)
    assert flashed(auth, send_now(auth, session)).startswith(
        "Sent 3, 1 failed: The mail server refused this address. 1 email was refused")
    reschedule(session, title="PSL, moved")
    smtp_app.config["FROZEN_NOW"] = START - timedelta(minutes=59)  # the hour-before reminder is due
    text = flashed(auth, send_now(auth, session))
    assert text.startswith("Sent 6, 2 failed"), text  # 3 updates, 3 reminders; the refused address twice
    html = page(auth, session)
    kinds = re.findall(r"<td>(Invitation|Update|Cancellation|Reminder)</td>", html)
    assert Counter(kinds) == {"Invitation": 4, "Update": 4, "Reminder": 4}
    assert html.count("email-bounced") == 3 and "The mail server refused this address." in html
    cancel(session)
    html = page(auth, session)
    assert "Cancellation" in html and "Replaced by a newer message" not in html


def test_no_one_sees_or_sends_another_facilitators_session_emails(smtp_app, smtp, world):
    make, _, group = world
    session = add_session(group)
    other = signed_in(smtp_app, make, make.user("facilitator"))
    assert other.client.get(f"/sessions/{session.id}").status_code == 404
    assert other.client.post(f"/sessions/{session.id}/invitations/send").status_code in (400, 404)
    lead = signed_in(smtp_app, make, make.user("lead"))
    assert "Send now" not in page(lead, session) and "email-queued" in page(lead, session)
    assert send_now(lead, session).status_code == 403
    admin = signed_in(smtp_app, make, make.user("admin"))
    smtp.start()
    assert flashed(admin, send_now(admin, session)) == "Sent 4."


def test_the_api_lists_the_emails_and_sends_them_now(smtp_app, smtp, world):
    make, facilitator, group = world
    session = add_session(group)
    api = _api(smtp_app, make, facilitator)
    listed = api.get(f"/api/v1/sessions/{session.id}/invitations")
    assert listed.status_code == 200
    rows = listed.get_json()["invitations"]
    assert len(rows) == 4 and {(r["kind"], r["state"]) for r in rows} == {("invitation", "queued")}
    assert set(rows[0]) == {"contact_id", "home_id", "email", "kind", "state", "sent_at", "last_error",
                            "next_attempt_at"}
    down = api.post(f"/api/v1/sessions/{session.id}/invitations/send")
    assert down.status_code == 200
    assert down.get_json() | {"errors": []} == {"sent": 0, "failed": 1, "will_retry": 1, "skipped": 0,
                                                 "busy": 0, "untried": 3, "errors": []}
    (error,) = down.get_json()["errors"]
    assert error.startswith("cannot reach SMTP server")
    rows = api.get(f"/api/v1/sessions/{session.id}/invitations").get_json()["invitations"]
    assert sorted((r["state"], r["next_attempt_at"], bool(r["last_error"])) for r in rows) == [
        ("queued", "2025-02-25T12:00:00Z", False)] * 3 + [("will_retry", "2025-02-25T12:01:00Z", True)]
    smtp.start()
    sent = api.post(f"/api/v1/sessions/{session.id}/invitations/send").get_json()
    assert (sent["sent"], sent["failed"]) == (4, 0)
    rows = api.get(f"/api/v1/sessions/{session.id}/invitations").get_json()["invitations"]
    assert {(r["state"], r["sent_at"], r["next_attempt_at"]) for r in rows} == {
        ("sent", "2025-02-25T12:00:00Z", None)}


@pytest.mark.parametrize(("role", "read", "send"), [
    ("other", 404, 404), ("lead", 200, 403), ("admin", 200, 200), ("supervisor", 403, 403)])
def test_the_api_follows_the_sessions_visibility(smtp_app, smtp, world, role, read, send):
    make, _, group = world
    smtp.start()
    session = add_session(group)
    api = _api(smtp_app, make, make.user("facilitator" if role == "other" else role))
    assert api.get(f"/api/v1/sessions/{session.id}/invitations").status_code == read
    response = api.post(f"/api/v1/sessions/{session.id}/invitations/send")
    assert response.status_code == send and response.is_json
    assert len(smtp.received) == (4 if send == 200 else 0)


def _api(app, make, user):
    client = ApiClient(app, make)
    client.as_user(user)
    return client


@pytest.mark.real_commits  # the worker and "Send now" in threads, each on its own connection
def test_send_now_and_workers_at_once_send_each_message_exactly_once(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        make = Factory(app)
        group = make.group("Busy group", homes=[make.home(contacts=3) for _ in range(4)], joined_on=JOINED)
        session = add_session(group)
        add_session(group, starts_at=START + timedelta(days=7))
        db.session.rollback()  # the test's own transaction would hold SQLite's write lock
        backend = SlowMemory()
        barrier = threading.Barrier(3)
        errors: list[BaseException] = []

        def work(name: str) -> None:
            try:
                with app.app_context():
                    barrier.wait()
                    if name == "send-now":
                        send_session_now(session.id, backend=backend)
                    else:
                        while run_once(backend=backend, worker=name, limit=3).outcomes:
                            pass
                    db.session.remove()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        names = ("send-now", "worker-a", "worker-b")
        threads = [threading.Thread(target=work, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        sent = Counter(email.message_id for email, _ in backend.sent)
        assert len(sent) == 24 and set(sent.values()) == {1}
        assert {r.status for r in outbox_rows()} == {"sent"}
