"""The weekly digest of overdue actions: one email per owner and week, through the outbox and a
real SMTP server on loopback; the reminders' opt-out stops it too. Clock: Tuesday 25 February 2025."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.invites import services as invite_services
from facilitator.invites.digest import queue_overdue_digests, week_of
from facilitator.invites.outbox import run_once
from facilitator.journey.actions import ActionData, create_action, update_action
from facilitator.models import ActionDigestSend, HomeAction, OutboxMessage
from tests.support.factories import Factory
from tests.support.invites import NOW, invites_config, set_now
from tests.test_outbox import SmtpServer

PAST = date(2025, 2, 1)


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_app(make_app, smtp):
    app = make_app(**invites_config(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                                    SMTP_STARTTLS=False, SMTP_TIMEOUT=5))
    with app.app_context():
        yield app


def _plan(app):
    """Ardenlea: its first contact owns two overdue actions; the manager role owns one; one is
    not yet due and one overdue was dropped."""
    make = Factory(app)
    home = make.home("Ardenlea House", contacts=2)
    owner, other = home.contacts
    other.role = "team_leader"
    for fields in ({"title": "Review the rota", "owner_contact_id": owner.id, "due_on": PAST},
                   {"title": "Name a champion", "owner_contact_id": owner.id, "due_on": PAST,
                    "domain_key": "governance"},
                   {"title": "Book the board", "owner_role": "manager", "due_on": PAST},
                   {"title": "Not due yet", "owner_contact_id": other.id, "due_on": date(2025, 3, 30)},
                   {"title": "Dropped", "owner_contact_id": other.id, "due_on": PAST, "status": "dropped"}):
        create_action(home, ActionData(**fields))
    db.session.commit()
    return home, owner, other


def _mails(smtp):
    return [message_from_bytes(raw, policy=policy.default) for raw in smtp.received]


def test_the_overdue_digest_is_delivered_once_through_a_real_smtp_server(smtp_app, smtp):
    home, owner, other = _plan(smtp_app)
    first = run_once()
    assert first.digests == 1 and first.sent == 1
    (mail,) = _mails(smtp)
    assert mail["To"].addresses[0].addr_spec == owner.email  # the team leader owns nothing overdue
    assert mail["Subject"] == "Ardenlea House: 3 actions overdue"
    text = mail.get_body(("plain",)).get_content()
    for title in ("Review the rota", "Name a champion", "Book the board"):
        assert title in text  # its own two, and the manager's (it is a manager)
    assert "Governance, management and leadership" in text
    assert "Not due yet" not in text and "Dropped" not in text
    assert "/h/" in text and "/reminders" in mail["List-Unsubscribe"]
    # the worker runs again, the same day and later in the week: nothing more
    assert run_once().digests == 0
    set_now(smtp_app, NOW + timedelta(days=4))
    assert run_once().digests == 0
    assert len(smtp.received) == 1
    assert db.session.scalar(select(func.count()).select_from(ActionDigestSend)) == 1
    # next week, still overdue: one more
    set_now(smtp_app, NOW + timedelta(days=7))
    assert run_once().digests == 1 and len(smtp.received) == 2


def test_the_reminders_opt_out_stops_the_digest_and_nothing_left_skips_it(smtp_app, smtp):
    home, owner, other = _plan(smtp_app)
    invite_services.set_reminders(owner, False)
    db.session.commit()
    assert queue_overdue_digests() == 0
    invite_services.set_reminders(owner, True)
    db.session.commit()
    assert queue_overdue_digests() == 1
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage.kind)) == "actions"
    # everything is done before the worker renders it: the digest is skipped, not sent empty
    for action in db.session.scalars(select(HomeAction)):
        if action.is_open:
            update_action(action, {"status": "done"})
    db.session.commit()
    report = run_once()
    assert report.skipped == 1 and report.sent == 0 and smtp.received == []


def test_the_digest_waits_for_its_weekday(smtp_app, smtp):
    _plan(smtp_app)
    smtp_app.config["ACTION_DIGEST_WEEKDAY"] = 3  # Thursday; NOW is a Tuesday
    assert queue_overdue_digests() == 0
    assert queue_overdue_digests(any_day=True) == 1
    assert week_of(date(2025, 2, 27)) == date(2025, 2, 24)


def test_the_digest_command_queues_this_weeks_digests_whatever_the_day(smtp_app, smtp):
    _plan(smtp_app)
    smtp_app.config["ACTION_DIGEST_WEEKDAY"] = 6
    runner = smtp_app.test_cli_runner()
    result = runner.invoke(args=["outbox", "digest"])
    assert result.exit_code == 0 and "Action digests queued: 1." in result.output
    assert "Action digests queued: 0." in runner.invoke(args=["outbox", "digest"]).output
