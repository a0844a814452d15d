"""Password reset by email: one answer for everyone, hashed single-use tokens, 30 minutes, throttled.

The email goes through the transactional outbox: asking writes one outbox row in the request's
transaction, and only the outbox worker (``outbox send``) sends it, with its retries.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from facilitator.admin import services as admin_services
from facilitator.auth.services import token_hash
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.invites import outbox
from facilitator.invites import services as invite_services
from facilitator.models import OutboxMessage, UserSession
from facilitator.models.users import PasswordResetRequest, PasswordResetToken
from integrations.mailer import MailError, OutgoingEmail
from tests.support.factories import PASSWORD, Auth, Factory, csrf_token
from tests.support.invites import parse, set_now
from tests.support.mfa import current_code, enrol_directly
from tests.test_outbox import SmtpServer

NEW_PASSWORD = "a brand new long passphrase"  # noqa: S105 - a test value


@pytest.fixture
def mail_app(make_app: Any) -> Any:
    app = make_app(MAIL_BACKEND="memory")
    with app.app_context():
        yield app


@pytest.fixture
def mclient(mail_app: Any) -> Any:
    return mail_app.test_client()


@pytest.fixture
def mmake(mail_app: Any) -> Factory:
    return Factory(mail_app)


def delivered(app: Any) -> list[Any]:
    """Every email sent so far, after the outbox worker has run once."""
    outbox.run_once()
    return [email for email, _ in app.extensions["mail_backend"].sent]


def sent_so_far(app: Any) -> list[Any]:
    """What the mail backend has sent, without running the worker."""
    return [email for email, _ in app.extensions["mail_backend"].sent]


def outbox_rows() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def ask(client: Any, email: str, **headers: str) -> Any:
    html = client.get("/password/forgot").get_data(as_text=True)
    return client.post("/password/forgot", data={"email": email, "csrf_token": csrf_token(html)},
                       headers=headers)


def link_in(email: Any) -> str:
    match = re.search(r"http://127\.0\.0\.1:5000(/password/reset\?token=[\w-]+)", email.text)
    assert match, email.text
    assert match.group(1) in email.html.replace("&amp;", "&")
    return match.group(1)


def choose(client: Any, password: str, again: str | None = None) -> Any:
    html = client.get("/password/forgot").get_data(as_text=True)  # any page's token will do
    data = {"password": password, "password_again": password if again is None else again,
            "csrf_token": csrf_token(html)}
    return client.post("/password/reset", data=data)


def test_known_and_unknown_addresses_get_the_same_answer(mail_app, mclient, mmake):
    user = mmake.user("lead")
    known = ask(mclient, user.email.upper())
    unknown = ask(mclient, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200

    def body(response: Any) -> str:
        text = response.get_data(as_text=True)
        return text.replace(user.email.upper(), "X").replace("nobody@example.org", "X")

    assert body(known) == body(unknown)
    assert [e.to_email for e in delivered(mail_app)] == [user.email]


def test_the_link_lets_the_user_choose_a_new_password_once(mail_app, mclient, mmake):
    user = mmake.user("facilitator")
    ask(mclient, user.email)
    [email] = delivered(mail_app)
    assert email.subject == "Reset your Facilitator password"
    link = link_in(email)
    opened = mclient.get(link)
    assert opened.status_code == 302
    assert opened.headers["Location"] == "/password/reset"  # the token leaves the address bar
    assert opened.headers["Referrer-Policy"] == "no-referrer"
    form = mclient.get("/password/reset")
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    done = choose(mclient, NEW_PASSWORD)
    assert done.headers["Location"] == "/login"
    Auth(mclient, mmake).login(user, password=NEW_PASSWORD)
    again = mclient.get(link)
    assert mclient.get(again.headers["Location"]).status_code == 410


def test_the_token_is_stored_only_as_a_hash(mail_app, mclient, mmake):
    user = mmake.user("lead")
    ask(mclient, user.email)
    token = link_in(delivered(mail_app)[0]).split("token=")[1]
    row = db.session.scalar(select(PasswordResetToken))
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert timedelta(minutes=29) < row.expires_at - row.created_at <= timedelta(minutes=30)


def test_an_expired_link_is_refused(mail_app, mclient, mmake):
    user = mmake.user("lead")
    ask(mclient, user.email)
    link = link_in(delivered(mail_app)[0])
    row = db.session.scalar(select(PasswordResetToken))
    row.expires_at -= timedelta(minutes=31)
    db.session.commit()
    mclient.get(link)
    response = mclient.get("/password/reset")
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert choose(mclient, NEW_PASSWORD).status_code == 410


@pytest.mark.parametrize("token", ["", "not-a-real-token", "x" * 500])
def test_made_up_links_are_refused(client, token):
    client.get(f"/password/reset?token={token}")
    assert client.get("/password/reset").status_code == 410


@pytest.mark.parametrize("password, again, message", [
    ("short", "short", "at least 12 characters"),
    ("Qwerty123456", "Qwerty123456", "most common passwords"),
    (NEW_PASSWORD, "something else entirely", "not the same"),
    ("", "", "Enter a new password"),
])
def test_new_password_rules_are_explained_and_the_link_still_works(mail_app, mclient, mmake, password, again,
                                                                    message):
    user = mmake.user("lead")
    ask(mclient, user.email)
    mclient.get(link_in(delivered(mail_app)[0]))
    refused = choose(mclient, password, again)
    assert refused.status_code == 422
    assert message in refused.get_data(as_text=True)
    assert choose(mclient, NEW_PASSWORD).headers["Location"] == "/login"


def test_a_reset_signs_the_user_out_everywhere(mail_app, mclient, mmake):
    user = mmake.user("lead")
    elsewhere = mail_app.test_client()
    Auth(elsewhere, mmake).login(user)
    ask(mclient, user.email)
    mclient.get(link_in(delivered(mail_app)[0]))
    choose(mclient, NEW_PASSWORD)
    assert elsewhere.get("/").status_code == 302
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id)) is None


def test_a_new_password_kills_other_unused_links(mail_app, mclient, mmake):
    user = mmake.user("lead")
    ask(mclient, user.email)
    ask(mclient, user.email)
    first, second = (link_in(e) for e in delivered(mail_app))
    mclient.get(second)
    choose(mclient, NEW_PASSWORD)
    mclient.get(first)
    assert mclient.get("/password/reset").status_code == 410


def test_a_reset_does_not_skip_two_step_sign_in(mail_app, mclient, mmake):
    user = mmake.user("lead")
    secret = enrol_directly(user)
    ask(mclient, user.email)
    mclient.get(link_in(delivered(mail_app)[0]))
    choose(mclient, NEW_PASSWORD)
    html = mclient.get("/login").get_data(as_text=True)
    response = mclient.post("/login", data={"email": user.email, "password": NEW_PASSWORD,
                                            "csrf_token": csrf_token(html)})
    assert response.headers["Location"] == "/login/two-factor"
    html = mclient.get("/login/two-factor").get_data(as_text=True)
    response = mclient.post("/login/two-factor", data={"code": current_code(secret, 1),
                                                       "csrf_token": csrf_token(html)})
    assert response.headers["Location"] == "/"


def test_deactivated_users_get_no_email_and_old_links_stop(mail_app, mclient, mmake):
    user = mmake.user("lead")
    ask(mclient, user.email)
    link = link_in(delivered(mail_app)[0])
    admin_services.update_user(user, is_active=False)
    db.session.commit()
    assert ask(mclient, user.email).status_code == 200
    assert len(delivered(mail_app)) == 1
    mclient.get(link)
    assert mclient.get("/password/reset").status_code == 410


def test_requests_per_address_are_limited_without_changing_the_answer(mail_app, mclient, mmake):
    user = mmake.user("lead")
    answers = {ask(mclient, user.email).status_code for _ in range(5)}
    assert answers == {200}
    assert len(delivered(mail_app)) == 3  # PASSWORD_RESET_MAX_PER_EMAIL
    assert db.session.query(PasswordResetRequest).count() == 5


def test_requests_per_ip_address_are_limited(make_app):
    app = make_app(MAIL_BACKEND="memory", PASSWORD_RESET_MAX_PER_IP=3)
    with app.app_context():
        client = app.test_client()
        for n in range(3):
            assert ask(client, f"someone{n}@example.org").status_code == 200
        limited = ask(client, "another@example.org")
        assert limited.status_code == 429
        assert "Too many reset requests" in limited.get_data(as_text=True)


def test_the_limits_are_counted_in_the_database_so_every_process_agrees(make_app, mail_app, mmake):
    user = mmake.user("lead")
    other = make_app(MAIL_BACKEND="memory")
    with other.app_context():
        for _ in range(3):
            ask(other.test_client(), user.email)
    ask(mail_app.test_client(), user.email)
    # One outbox for every process: its worker sends the three the other process queued, no fourth.
    assert len(outbox_rows()) == 3
    assert len(delivered(mail_app)) == 3


def test_old_requests_fall_out_of_the_window(mail_app, mclient, mmake):
    user = mmake.user("lead")
    for _ in range(3):
        ask(mclient, user.email)
    for row in db.session.scalars(select(PasswordResetRequest)):
        row.created_at -= timedelta(minutes=61)
    db.session.commit()
    ask(mclient, user.email)
    assert len(delivered(mail_app)) == 4


@pytest.mark.parametrize("email, message", [("", "Enter your email address"),
                                            ("not-an-email", "valid email")])
def test_the_request_form_validates(client, email, message):
    response = ask(client, email)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_reset_needs_csrf(mail_app, mclient, mmake):
    user = mmake.user("lead")
    assert mclient.post("/password/forgot", data={"email": user.email}).status_code == 400
    assert delivered(mail_app) == []


def test_no_email_is_sent_if_the_request_is_rolled_back(mail_app, mmake):
    from facilitator.auth import reset

    user = mmake.user("lead")
    with mail_app.test_request_context():
        assert reset.request_reset(user.email, "10.1.1.1") is reset.Outcome.SENT
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1  # in this transaction
        db.session.rollback()
    assert outbox_rows() == []
    assert delivered(mail_app) == []
    assert db.session.scalar(select(PasswordResetToken)) is None


def test_login_page_links_to_the_reset(client):
    assert 'href="/password/forgot"' in client.get("/login").get_data(as_text=True)


def test_unused_password_still_works_until_reset(mail_app, mclient, mmake):
    user = mmake.user("lead")
    ask(mclient, user.email)
    Auth(mail_app.test_client(), mmake).login(user, password=PASSWORD)


# ------------------------------------------------------------------------ through the outbox


def test_asking_queues_one_outbox_row_and_sends_nothing_until_the_worker_runs(mail_app, mclient, mmake):
    user = mmake.user("lead")
    ask(mclient, user.email)
    (row,) = outbox_rows()
    assert (row.kind, row.status, row.to_email, row.to_name) == ("account", "pending", user.email, user.name)
    assert row.contact_id is None and row.session_id is None and row.calendar is None
    assert row.subject == "Reset your Facilitator password" and "/password/reset?token=" in row.body_text
    assert sent_so_far(mail_app) == [], "nothing leaves the web request"
    result = outbox.run_once()
    assert result.sent == 1
    [email] = sent_so_far(mail_app)
    assert email.message_id == row.message_id and email.calendar is None
    raw = mail_app.extensions["mail_backend"].sent[0][1]
    assert parse(raw).msg["Auto-Submitted"] == "auto-generated"
    (row,) = outbox_rows()
    assert row.status == "sent" and row.attempts == 1
    assert row.body_text is None and row.body_html is None, "the link is not kept once sent"
    assert outbox.run_once().sent == 0 and len(sent_so_far(mail_app)) == 1


def test_an_unknown_address_gets_the_same_answer_and_queues_nothing(mail_app, mclient, mmake):
    mmake.user("lead")
    response = ask(mclient, "nobody@example.org")
    assert response.status_code == 200
    assert outbox_rows() == []
    assert delivered(mail_app) == []


# --------------------------------------------------------------- a real SMTP server on loopback


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def smtp_app(make_app, smtp):
    app = make_app(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False,
                   SMTP_TIMEOUT=5, FROZEN_NOW=NOW, OUTBOX_MAX_ATTEMPTS=5, OUTBOX_BACKOFF_SECONDS=60)
    with app.app_context():
        yield app


def reset_link(raw: bytes) -> str:
    sent = parse(raw)
    assert sent.calendar is None
    assert [p.get_content_type() for p in sent.msg.iter_parts()] == ["text/plain", "text/html"]
    match = re.search(r"http://127\.0\.0\.1:5000(/password/reset\?token=[\w-]+)", sent.text)
    assert match, sent.text
    assert match.group(1) in sent.html.replace("&amp;", "&")
    return match.group(1)


def test_the_worker_delivers_the_reset_email_through_smtp_once(smtp_app, smtp, caplog):
    smtp.start()
    make = Factory(smtp_app)
    user = make.user("lead", email="morag@psl.example.org")
    client = smtp_app.test_client()
    with caplog.at_level(logging.DEBUG):
        assert ask(client, user.email).status_code == 200
        assert smtp.received == [], "the request itself sends nothing"
        result = outbox.run_once()
        assert result.sent == 1 and result.failed == result.retrying == 0
        assert outbox.run_once().sent == 0
    (raw,) = smtp.received
    (envelope,) = smtp.collector.envelopes
    (row,) = outbox_rows()
    msg = parse(raw).msg
    assert envelope.rcpt_tos == [user.email]
    assert msg["To"].addresses[0].addr_spec == user.email
    assert msg["Subject"] == "Reset your Facilitator password"
    assert msg["Message-ID"] == row.message_id and row.status == "sent"
    assert msg.get_content_type() == "multipart/alternative"
    link = reset_link(raw)
    assert link.split("token=")[1] not in caplog.text, "the reset token never reaches a log"
    assert client.get(link).status_code == 302
    assert choose(client, NEW_PASSWORD).headers["Location"] == "/login"
    Auth(smtp_app.test_client(), make).login(user, password=NEW_PASSWORD)


def test_an_smtp_outage_leaves_the_reset_email_queued_for_a_retry(smtp_app, smtp, caplog):
    user = Factory(smtp_app).user("lead")
    client = smtp_app.test_client()
    ask(client, user.email)
    with caplog.at_level(logging.DEBUG):
        result = outbox.run_once()  # nothing listens on the port yet
    assert result.retrying == 1 and result.sent == 0
    (row,) = outbox_rows()
    assert row.status == "pending" and row.attempts == 1
    assert "cannot reach SMTP server" in row.last_error
    assert row.next_attempt_at == NOW + timedelta(seconds=60)
    assert row.body_text is not None, "kept for the retry"
    token = re.search(r"token=([\w-]+)", row.body_text).group(1)
    assert token not in caplog.text and "password/reset" not in caplog.text
    assert "Reset your Facilitator password" not in caplog.text

    smtp.start()
    assert outbox.run_once().sent == 0, "not before the backoff has passed"
    set_now(smtp_app, NOW + timedelta(seconds=61))
    assert outbox.run_once().sent == 1
    assert outbox.run_once().sent == 0
    (raw,) = smtp.received
    assert parse(raw).msg["Message-ID"] == row.message_id
    assert reset_link(raw).endswith(token)
    (row,) = outbox_rows()
    assert row.status == "sent" and row.attempts == 2


class Refusing:
    def send(self, email: OutgoingEmail) -> None:
        raise MailError("SMTP 550: mailbox unavailable", transient=False, code=550)


def test_a_refused_reset_email_fails_and_cannot_be_retried(mail_app, mclient, mmake):
    """A failed reset email's content (its one-time link) is cleared: the person asks again."""
    user = mmake.user("lead")
    ask(mclient, user.email)
    assert outbox.run_once(backend=Refusing()).failed == 1
    (row,) = outbox_rows()
    assert row.status == "failed" and row.body_text is None and "550" in row.last_error
    with pytest.raises(DomainError, match="ask for a new one"):
        invite_services.retry_message(row)
    assert invite_services.retry_failed() == 0
    db.session.rollback()
    staff = mail_app.test_client()
    admin = Auth(staff, mmake)
    admin.login("admin")
    page = staff.get("/outbox?show=failed").get_data(as_text=True)
    assert "Account email" in page and user.email in page and "token=" not in page
    refused = admin.post(f"/outbox/{row.id}/retry?show=failed", {}, page="/outbox?show=failed")
    assert refused.status_code == 302
    assert "ask for a new one" in staff.get(refused.headers["Location"]).get_data(as_text=True)
    (row,) = outbox_rows()
    assert row.status == "failed"
    ask(mclient, user.email)
    assert len(delivered(mail_app)) == 1
