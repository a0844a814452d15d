"""Contacts whose addresses are not plain ASCII: warned about when saved, and never retried in vain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from facilitator.admin import services as admin
from facilitator.extensions import db
from facilitator.invites import queries
from facilitator.invites.outbox import run_once
from facilitator.models import Contact, OutboxMessage
from integrations.mailer import SmtpBackend
from tests.integrations.test_mailer import Collector, free_port
from tests.support.invites import JOINED, add_session, invites_config

UTF8_LOCAL = "mòrag.ünï@dùn.example"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def ascii_only_server() -> Iterator[tuple[Collector, int]]:
    collector, port = Collector(), free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


def test_a_non_ascii_local_part_fails_at_once_on_the_delivery_without_retries(app, make, ascii_only_server):
    collector, port = ascii_only_server
    home = make.home("Taigh Dhùn Èideann", contacts=0)
    admin.save_contact(home, admin.ContactData("Mòrag", UTF8_LOCAL, "manager"))
    admin.save_contact(home, admin.ContactData("Idn", "idn@dùn.example", "manager"))
    group = make.group("Dùn Èideann PSL", facilitators=[make.user("facilitator")], homes=[home],
                       joined_on=JOINED)
    session = add_session(group)
    backend = SmtpBackend(host="127.0.0.1", port=port, starttls=False, timeout=5)

    result = run_once(backend=backend)
    assert (result.counts["sent"], result.counts["failed"], result.counts["retrying"]) == (1, 1, 0)
    assert [e.rcpt_tos for e in collector.envelopes] == [["idn@xn--dn-oka.example"]]
    db.session.rollback()
    (failed,) = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == UTF8_LOCAL))
    assert failed.status == "failed" and failed.attempts == 1
    contact = db.session.scalar(select(Contact).where(Contact.email == UTF8_LOCAL))
    delivery = queries.delivery(session.id, contact.id)
    assert delivery.status == "failed"
    assert UTF8_LOCAL in delivery.error and "SMTPUTF8" in delivery.error


def test_the_contact_form_warns_when_a_non_ascii_local_part_is_saved(auth, make, client):
    auth.login("admin")
    home = make.home(contacts=0)
    response = auth.post(f"/homes/{home.id}/contacts/new",
                         {"name": "Mòrag", "email": UTF8_LOCAL, "role": "manager", "is_active": "y"})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "SMTPUTF8" in page and UTF8_LOCAL in page

    response = auth.post(f"/homes/{home.id}/contacts/new",
                         {"name": "Idn", "email": "idn@dùn.example", "role": "manager", "is_active": "y"})
    assert response.status_code == 302
    assert "SMTPUTF8" not in client.get(response.headers["Location"]).get_data(as_text=True)
