"""Protected-time agreements (issue 17): the lifecycle through a real SMTP server on loopback
(drafted, sent, accepted through the sponsor's link, reminded once, expired, superseded), the
sponsor's link opening nothing else, the API's roles and refusals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from facilitator.conditions import reminders
from facilitator.extensions import db
from facilitator.invites.outbox import run_once
from facilitator.invites.tokens import LinkKind, current_contact_token
from facilitator.models import Agreement, CareHome, Contact
from tests.support.factories import ApiClient, Factory, csrf_token
from tests.support.invites import BASE, JOINED, NOW, invites_config, set_now
from tests.test_outbox import SmtpServer

BODY = {"psl_hours_per_month": 3, "implementation_hours_per_month": 1.5, "task_hours_per_month": 2,
        "starts_on": "2025-03-01"}
LINK = re.compile(re.escape(BASE) + r"(/a/[A-Za-z0-9_-]{43})")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(make_app, smtp):
    app = make_app(**invites_config(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                                    SMTP_STARTTLS=False, SMTP_TIMEOUT=5))
    with app.app_context():
        yield app


@pytest.fixture
def world(make: Factory):
    facilitator = make.user("facilitator", email="ailsa@psl.example.org", name="Ailsa Grant")
    home = make.home("Ardenlea House")
    home.contacts[0].role = "senior_manager"
    db.session.commit()
    make.group("West PSL", facilitators=[facilitator], homes=[home], joined_on=JOINED)
    return facilitator, home


def mail(smtp: SmtpServer) -> list:
    return [message_from_bytes(raw, policy=policy.default) for raw in smtp.received]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def drafted(api: ApiClient, world, **extra) -> dict:
    facilitator, home = world
    api.as_user(facilitator)
    response = api.post(f"/api/v1/homes/{home.id}/agreements",
                        json={**BODY, "sponsor_contact_id": home.contacts[0].id, **extra})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def sent_link(api: ApiClient, agreement: dict, smtp: SmtpServer) -> str:
    response = api.post(f"/api/v1/agreements/{agreement['id']}/send")
    assert response.status_code == 200 and response.get_json()["status"] == "sent"
    before = len(smtp.received)
    assert run_once().sent == 1
    [message] = mail(smtp)[before:]
    return LINK.search(text_of(message)).group(1)


def agree(client, link: str, name: str = "Morag Baird"):
    page = client.get(link)
    assert page.status_code == 200
    return client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True)), "name": name},
                       environ_base={"REMOTE_ADDR": "192.0.2.7"})


def test_the_sponsor_accepts_through_the_link_and_the_facilitator_is_told(app, api, world, smtp):
    facilitator, home = world
    agreement = drafted(api, world)
    assert agreement["status"] == "draft" and agreement["source"] == "online"
    assert agreement["sponsor"] == {"name": home.contacts[0].name, "email": home.contacts[0].email,
                                    "contact_id": home.contacts[0].id}
    assert agreement["review_on"] == "2026-03-01", "AGREEMENT_REVIEW_MONTHS (12) after the start"
    assert "3 hours a month for staff to take part in PSL sessions" in agreement["text"]
    assert "1.5 hours a month" in agreement["text"]
    link = sent_link(api, agreement, smtp)
    [request] = mail(smtp)
    assert request["To"].addresses[0].addr_spec == home.contacts[0].email
    assert "Ardenlea House" in request["Subject"]

    client = app.test_client()
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"
    assert "I agree" in html and "3 hours a month" in html and "1 March 2026" in html
    response = agree(client, link)
    assert response.status_code == 303
    assert "You agreed this" in client.get(link).get_data(as_text=True)

    row = db.session.get(Agreement, agreement["id"], populate_existing=True)
    assert (row.status, row.accepted_by, row.accepted_ip, row.agreed_on) == (
        "accepted", "Morag Baird", "192.0.2.7", NOW.date())
    assert row.accepted_at == NOW
    assert run_once().sent == 1
    told = mail(smtp)[-1]
    assert told["To"].addresses[0].addr_spec == facilitator.email
    assert "Morag Baird accepted Ardenlea House" in text_of(told)
    listed = api.get(f"/api/v1/homes/{home.id}/agreements").get_json()["agreements"]
    assert [(a["status"], a["accepted_by"]) for a in listed] == [("accepted", "Morag Baird")]
    home_out = api.get(f"/api/v1/homes/{home.id}").get_json()
    assert (home_out["protected_time_agreed"], home_out["protected_time_agreed_on"]) == (True, "2025-02-25")


def test_an_empty_name_is_refused_and_nothing_is_accepted(app, api, world, smtp):
    link = sent_link(api, drafted(api, world), smtp)
    response = agree(app.test_client(), link, name="   ")
    assert response.status_code == 422
    assert "Type your full name." in response.get_data(as_text=True)
    [row] = db.session.scalars(select(Agreement).execution_options(populate_existing=True))
    assert row.status == "sent"


def test_the_sponsor_is_reminded_once_after_14_days_with_the_same_link(app, api, world, smtp):
    link = sent_link(api, drafted(api, world), smtp)
    set_now(app, NOW + timedelta(days=13))
    assert reminders.queue_due_reminders() == 0
    set_now(app, NOW + timedelta(days=14, hours=1))
    assert reminders.queue_due_reminders() == 1
    db.session.commit()
    assert reminders.queue_due_reminders() == 0, "once"
    assert run_once().sent == 1
    reminder = mail(smtp)[-1]
    assert reminder["Subject"].startswith("Reminder: protected time")
    assert LINK.search(text_of(reminder)).group(1) == link
    assert run_once().sent == 0


def test_facilitators_are_reminded_once_30_days_before_the_review(app, api, world, smtp):
    facilitator, _home = world
    agreement = drafted(api, world, starts_on="2024-04-01")  # review on 1 April 2025
    api.post(f"/api/v1/agreements/{agreement['id']}/paper",
             json={"signed_on": "2024-04-02", "signed_by": "Morag Baird"})
    assert reminders.queue_due_reminders() == 0, "25 February: 35 days before the review"
    set_now(app, NOW + timedelta(days=6))
    assert reminders.queue_due_reminders() == 1
    db.session.commit()
    set_now(app, NOW + timedelta(days=7))
    assert reminders.queue_due_reminders() == 0
    assert run_once().sent == 1
    [message] = mail(smtp)
    assert message["To"].addresses[0].addr_spec == facilitator.email
    assert "due for review on 1 April 2025" in text_of(message)


def test_an_agreement_expires_after_its_review_date_and_its_link_after_30_days(app, api, world, smtp):
    _facilitator, home = world
    agreement = drafted(api, world, starts_on="2025-01-01", review_on="2025-03-31")
    link = sent_link(api, agreement, smtp)
    set_now(app, NOW + timedelta(days=29))
    assert app.test_client().get(link).status_code == 200
    set_now(app, NOW + timedelta(days=30))
    assert app.test_client().get(link).status_code == 404
    api.post(f"/api/v1/agreements/{agreement['id']}/paper",
             json={"signed_on": "2025-03-20", "signed_by": "Morag Baird"})
    url = f"/api/v1/homes/{home.id}/agreements"
    assert api.get(url).get_json()["agreements"][0]["status"] == "signed_on_paper"
    set_now(app, NOW + timedelta(days=35))  # 1 April 2025
    assert api.get(url).get_json()["agreements"][0]["status"] == "expired"
    again = api.post(f"/api/v1/agreements/{agreement['id']}/send")
    assert again.status_code == 422 and "status" in again.get_json()["error"]["fields"]


def test_accepting_a_new_agreement_supersedes_the_old_one(app, api, world, smtp):
    _facilitator, home = world
    first = drafted(api, world, starts_on="2024-06-01")
    api.post(f"/api/v1/agreements/{first['id']}/paper", json={"signed_on": "2024-06-03", "signed_by": "M B"})
    second = drafted(api, world, psl_hours_per_month=4)
    assert agree(app.test_client(), sent_link(api, second, smtp)).status_code == 303
    statuses = {a["id"]: a["status"] for a in api.get(f"/api/v1/homes/{home.id}/agreements").get_json()[
        "agreements"]}
    assert statuses == {first["id"]: "superseded", second["id"]: "accepted"}


def test_the_sponsors_link_opens_nothing_else_and_no_other_link_opens_it(app, api, world, smtp):
    _facilitator, home = world
    link = sent_link(api, drafted(api, world), smtp)
    token = link.rsplit("/", 1)[1]
    client = app.test_client()
    for other in (f"/h/{token}", f"/j/{token}", f"/feeds/{token}.ics", f"/h/{token}/reminders"):
        assert client.get(other).status_code == 404, other
    contact_token = current_contact_token(db.session.get(Contact, home.contacts[0].id), LinkKind.HOME)
    db.session.commit()
    assert client.get(f"/h/{contact_token}").status_code == 200
    assert client.get(f"/a/{contact_token}").status_code == 404
    assert client.get(f"/a/{token[:-1]}").status_code == 404
    assert client.get("/a/short").status_code == 404


@pytest.mark.parametrize(("body", "field"), [
    ({"psl_hours_per_month": -1}, "psl_hours_per_month"),
    ({"task_hours_per_month": -0.5}, "task_hours_per_month"),
    ({"review_on": "2025-02-28"}, "review_on"),
    ({"starts_on": "soon"}, "starts_on"),
    ({"sponsor_contact_id": None, "sponsor_name": "", "sponsor_email": ""}, "sponsor_name"),
    ({"sponsor_contact_id": None, "sponsor_name": "Jo", "sponsor_email": "nope"}, "sponsor_email"),
])
def test_bad_input_is_refused_naming_the_field(api, world, body, field):
    facilitator, home = world
    api.as_user(facilitator)
    response = api.post(f"/api/v1/homes/{home.id}/agreements",
                        json={**BODY, "sponsor_contact_id": home.contacts[0].id, **body})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_the_sponsor_must_be_a_manager_of_this_home(api, world, make):
    facilitator, home = world
    other = make.home("Bellfield Court")
    api.as_user(facilitator)
    url = f"/api/v1/homes/{home.id}/agreements"
    for contact_id in (other.contacts[0].id, home.contacts[1].id):
        if contact_id == home.contacts[1].id:
            db.session.get(Contact, contact_id).role = "care_worker"
            db.session.commit()
        response = api.post(url, json={**BODY, "sponsor_contact_id": contact_id})
        assert response.status_code == 422
        assert "sponsor_contact_id" in response.get_json()["error"]["fields"]
    named = api.post(url, json={**BODY, "sponsor_name": "Dr Iona Reid",
                                "sponsor_email": "Iona@Board.example"})
    assert named.status_code == 201
    assert named.get_json()["sponsor"] == {"name": "Dr Iona Reid", "email": "iona@board.example",
                                           "contact_id": None}


def test_who_may_write_and_read(api, world, make):
    _facilitator, home = world
    url = f"/api/v1/homes/{home.id}/agreements"
    body = {**BODY, "sponsor_contact_id": home.contacts[0].id}
    api.as_user("facilitator")  # of no group of this home
    assert api.post(url, json=body).status_code == 403
    api.as_user("lead")
    assert api.post(url, json=body).status_code == 403
    assert api.get(url).status_code == 200
    api.as_user("admin")
    created = api.post(url, json=body)
    assert created.status_code == 201
    api.as_user("lead")
    assert api.post(f"/api/v1/agreements/{created.get_json()['id']}/send").status_code == 403
    api.as_user("supervisor")
    assert api.get(url).status_code == 403


def test_the_old_field_still_writes_and_reads_through_a_recorded_agreement(api, world):
    _facilitator, home = world
    api.as_user("admin")
    response = api.patch(f"/api/v1/homes/{home.id}", json={"protected_time_agreed_on": "2024-11-05"})
    assert response.status_code == 200
    [recorded] = api.get(f"/api/v1/homes/{home.id}/agreements").get_json()["agreements"]
    assert (recorded["status"], recorded["source"], recorded["starts_on"], recorded["review_on"]) == (
        "accepted", "recorded", "2024-11-05", "2025-11-05")
    assert db.session.get(CareHome, home.id).protected_time_agreed_on == date(2024, 11, 5)
    api.patch(f"/api/v1/homes/{home.id}", json={"protected_time_agreed_on": None})
    assert api.get(f"/api/v1/homes/{home.id}").get_json()["protected_time_agreed_on"] is None


def test_the_dashboard_counts_homes_covered_and_hours_agreed(app, api, world, make, auth):
    _facilitator, home = world
    make.home("Bellfield Court")
    expired = make.home("Corrie View")
    agreement = drafted(api, world)
    api.post(f"/api/v1/agreements/{agreement['id']}/paper",
             json={"signed_on": "2025-02-20", "signed_by": "M B"})
    api.as_user("admin")
    api.patch(f"/api/v1/homes/{expired.id}", json={"protected_time_agreed_on": "2023-01-10"})  # reviewed 2024
    auth.login("lead")
    page = auth.client.get("/").get_data(as_text=True)
    assert "<strong>1 of 3</strong> homes (33%)" in page
    assert "protecting <strong>6.5 hours</strong> a month" in page


def test_the_printable_letter_has_the_figures_and_signature_lines(app, api, world, make, auth):
    from tests.support.pdf import pdf_text, squeezed

    facilitator, home = world
    agreement = drafted(api, world)
    auth.login(facilitator)
    response = auth.client.get(f"/agreements/{agreement['id']}.pdf")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    text = squeezed(pdf_text(response.data))
    assert "Protected-time agreement" in text and "Ardenlea House" in text
    assert home.contacts[0].name in text
    assert "3 hours a month" in text and "1.5 hours a month" in text and "1 March 2026" in text
    assert text.count("Signature: ") == 2
    auth.logout()
    auth.login("facilitator")  # of no group of this home
    assert auth.client.get(f"/agreements/{agreement['id']}.pdf").status_code == 404
    auth.logout()
    auth.login("supervisor")
    assert auth.client.get(f"/agreements/{agreement['id']}.pdf").status_code == 403


def test_the_home_page_lists_its_agreements_with_their_letters(app, api, world, auth):
    facilitator, home = world
    agreement = drafted(api, world)
    api.post(f"/api/v1/agreements/{agreement['id']}/paper",
             json={"signed_on": "2025-02-20", "signed_by": "M B"})
    auth.login(facilitator)
    page = auth.client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "Signed on paper (20 February 2025, M B)" in page
    assert "6.5 hours (PSL 3 hours, group 1.5 hours, tasks 2 hours)" in page
    assert f'/agreements/{agreement["id"]}.pdf' in page
    assert "Agreed with leadership on 20 February 2025" in page


def test_the_sponsors_link_never_reaches_a_log_and_misses_count_for_the_link_rate_limit():
    from facilitator.logging_setup import redact
    from facilitator.ratelimit import TOKEN_PREFIXES
    from facilitator.security import TOKEN_PATH_PREFIXES

    line = '127.0.0.1 - - "GET /a/short-or-long-token HTTP/1.1" 200 -'
    assert "short-or-long-token" not in redact(line)
    assert "/api/v1/agreements/3/send" in redact('"POST /api/v1/agreements/3/send HTTP/1.1"')
    assert "/a/" in TOKEN_PREFIXES and "/a/" in TOKEN_PATH_PREFIXES
