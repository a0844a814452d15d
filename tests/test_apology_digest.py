"""The facilitators' daily digest of new apologies (issue 18): an apology made through the home's
link reaches each facilitator of its group in one email after the day's cut-off, through the
outbox and a real SMTP server on loopback, once; a withdrawn apology is not listed, and a
facilitator of another group gets nothing. Clock: Tuesday 25 February 2025, 12:00 (UK time)."""

from __future__ import annotations

from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from facilitator.attendance.apology_digest import queue_apology_digests
from facilitator.extensions import db
from facilitator.followups import worker
from facilitator.invites.outbox import run_once
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import Apology, OutboxMessage
from tests.support.factories import Factory, csrf_token
from tests.support.invites import BASE, NOW, add_session, invites_config, set_now
from tests.test_outbox import SmtpServer

JOINED = date(2025, 1, 6)
NEXT_MORNING = NOW + timedelta(hours=19, minutes=30)  # Wednesday 07:30, after the 07:00 cut-off


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


@pytest.fixture
def world(smtp_app):
    make = Factory(smtp_app)
    first, second, elsewhere = (make.user(name=n) for n in ("Fiona Reid", "Gus Lamont", "Hana Brook"))
    names = ("Ashgrove House", "Cedars Court", "Birchwood Lodge")
    ashgrove, cedars, birchwood = (make.home(n) for n in names)
    group = make.group("Fife North", facilitators=[first, second], homes=[ashgrove, cedars], joined_on=JOINED)
    make.group("Fife South", facilitators=[elsewhere], homes=[birchwood], joined_on=JOINED)
    session = add_session(group, title="Week 4: small changes", book=False)
    db.session.commit()
    return {"users": (first, second, elsewhere), "homes": (ashgrove, cedars), "session": session}


def _apologise(client, home, session, data: dict | None = None, withdraw: bool = False) -> None:
    url = f"/h/{mint_contact_token(home.contacts[0])}/sessions/{session.id}/apology"
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    answer = client.post(url + ("/withdraw" if withdraw else ""),
                         data={**(data or {}), "csrf_token": csrf_token(html)})
    assert answer.status_code == 303


def _mails(smtp):
    return [message_from_bytes(raw, policy=policy.default) for raw in smtp.received]


def test_the_digest_reaches_each_facilitator_of_the_group_once(smtp_app, smtp, world):
    ashgrove, cedars = world["homes"]
    session = world["session"]
    client = smtp_app.test_client()
    _apologise(client, ashgrove, session, {"reason": "outbreak_or_illness", "note": "Outbreak upstairs"})
    _apologise(client, cedars, session, {"reason": "staffing"})
    _apologise(client, cedars, session, withdraw=True)

    assert queue_apology_digests() == 0  # made after this morning's cut-off: tomorrow's digest
    set_now(smtp_app, NEXT_MORNING)
    assert worker.run_once().digests == 2
    assert worker.run_once().digests == 0 and queue_apology_digests() == 0
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Apology).where(
        Apology.digested_at.is_(None))) == 0  # the withdrawn one is taken too

    assert run_once().sent == 2 and run_once().sent == 0
    mails = _mails(smtp)
    first, second, elsewhere = world["users"]
    assert sorted(m["To"].addresses[0].addr_spec for m in mails) == sorted([first.email, second.email])
    assert elsewhere.email not in {m["To"].addresses[0].addr_spec for m in mails}
    mail = mails[0]
    assert mail["Subject"] == "1 new apology from homes"
    text = mail.get_body(("plain",)).get_content()
    assert "Week 4: small changes (Fife North), Tuesday 4 March" in text
    assert 'Ashgrove House: Outbreak or illness — "Outbreak upstairs"' in text
    assert f"{BASE}/sessions/{session.id}/register" in text
    assert "Cedars Court" not in text  # withdrawn before the digest
    html = mail.get_body(("html",)).get_content()
    assert "<strong>Ashgrove House</strong>: Outbreak or illness" in html and "Cedars Court" not in html


def test_an_apology_sent_again_after_a_digest_is_in_the_next_one(smtp_app, smtp, world):
    ashgrove, _ = world["homes"]
    session = world["session"]
    client = smtp_app.test_client()
    _apologise(client, ashgrove, session, {"reason": "technology"})
    set_now(smtp_app, NEXT_MORNING)
    assert queue_apology_digests() == 2
    db.session.commit()
    _apologise(client, ashgrove, session, withdraw=True)
    _apologise(client, ashgrove, session, {"reason": "staffing"})
    assert queue_apology_digests() == 0  # the same day: waits for tomorrow's cut-off
    set_now(smtp_app, NEXT_MORNING + timedelta(days=1))
    assert queue_apology_digests() == 2
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 4
