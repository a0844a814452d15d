"""The follow-up loop (issue 18): opened when a home's status changes to at risk, escalated to the
leads once after ``FOLLOW_UP_ESCALATE_DAYS`` with the app's clock moved on, snoozed and woken,
closed; one open per home and group; the API's roles and 422s; the pages' forms.
Clock: Tuesday 25 February 2025 (``tests/support/invites.NOW``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from facilitator import transaction
from facilitator.attendance import register
from facilitator.attendance.register import RowInput
from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.followups import opening, services, worker
from facilitator.invites.outbox import run_once
from facilitator.models import FollowUp, MessageKind, OutboxMessage
from tests.support.factories import Auth, Factory, csrf_token
from tests.support.invites import JOINED, NOW, add_session, invites_config, set_now
from tests.test_outbox import SmtpServer

WEEK = timedelta(days=7)
FIRST = NOW - 4 * WEEK - timedelta(hours=2)  # four Tuesday sessions before NOW, at 10:00


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


class World:
    """A group with two homes and its facilitator, four past sessions, a lead and an outsider."""

    def __init__(self, app) -> None:
        make = Factory(app)
        self.make = make
        self.facilitator = make.user("facilitator")
        self.outsider = make.user("facilitator")
        self.lead = make.user("lead")
        self.home = make.home("Ardenlea House")
        self.other = make.home("Birchwood")
        self.group = make.group("Fife Cohort 1", facilitators=[self.facilitator],
                                homes=[self.home, self.other], joined_on=JOINED)
        self.sessions = [add_session(self.group, title=f"Week {i + 1}", starts_at=FIRST + i * WEEK,
                                     book=False) for i in range(4)]

    def record(self, index: int, status: str) -> None:
        """The register of session ``index``: the home ``status``, the other home present."""
        register.save_register(self.sessions[index], [RowInput(self.home.id, status),
                                                      RowInput(self.other.id, "present")],
                               expected_version=0, user=self.facilitator, now=now_utc())
        transaction.commit()
        worker.run_once()  # the follow-ups' pass after each register


@pytest.fixture
def world(app):
    return World(app)


def _follow_ups() -> list[FollowUp]:
    return list(db.session.scalars(select(FollowUp).order_by(FollowUp.id)))


def _escalations() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ACCOUNT)))


def test_a_status_change_opens_a_follow_up_escalated_once_after_ten_days_then_closed(app, world):
    for index, status in enumerate(("present", "present", "absent")):
        world.record(index, status)
    assert _follow_ups() == []  # missed one: still engaged
    world.record(3, "absent")  # missed two in a row: at risk, and the pass opens its follow-up
    (follow_up,) = _follow_ups()
    assert (follow_up.home_id, follow_up.group_id) == (world.home.id, world.group.id)
    assert follow_up.status == "at_risk"
    assert follow_up.reason == "Missed the last 2 sessions without notice." and follow_up.state == "open"
    assert worker.run_once().opened == 0  # the pass finds it open: no second one

    set_now(app, NOW + timedelta(days=9, hours=23))
    assert worker.run_once().escalated == 0
    set_now(app, NOW + timedelta(days=10))
    assert worker.run_once().escalated == 1
    (email,) = _escalations()
    assert email.to_email == world.lead.email
    assert email.subject == "No contact with Ardenlea House for 10 days"
    assert f"/follow-ups/{follow_up.id}" in email.body_text
    set_now(app, NOW + timedelta(days=12))
    assert worker.run_once().escalated == 0 and len(_escalations()) == 1  # once
    db.session.refresh(follow_up)
    assert follow_up.escalated_at == NOW + timedelta(days=10)

    call = services.ContactData("phone", world.home.contacts[0].id, "Short of staff.")
    services.log_contact(follow_up, call, by=world.facilitator)
    services.change_state(follow_up, {"state": "closed", "outcome": "re_engaged"}, by=world.facilitator)
    transaction.commit()
    assert worker.run_once().opened == 0  # closed, and no session since: not reopened
    assert [f.state for f in _follow_ups()] == ["closed"]


def test_a_home_that_came_back_is_not_escalated(app, world):
    """Attending again before the ten days run out takes the home off "needing attention": its
    follow-up stays with the facilitators and the leads are not told."""
    for index, status in enumerate(("present", "present", "absent", "absent")):
        world.record(index, status)
    (follow_up,) = _follow_ups()
    later = add_session(world.group, title="Week 5", starts_at=NOW + timedelta(days=1), book=False)
    world.sessions.append(later)
    set_now(app, NOW + timedelta(days=2))
    world.record(4, "present")
    set_now(app, NOW + timedelta(days=11))
    assert worker.run_once().escalated == 0 and _escalations() == []
    db.session.refresh(follow_up)
    assert follow_up.state == "open" and follow_up.escalated_at is None


def test_a_closed_follow_up_reopens_after_a_later_session_still_missed(app, world):
    for index, status in enumerate(("present", "present", "absent", "absent")):
        world.record(index, status)
    (first,) = _follow_ups()
    services.change_state(first, {"state": "closed", "outcome": "other"}, by=world.facilitator)
    transaction.commit()
    later = add_session(world.group, title="Week 5", starts_at=NOW + timedelta(days=1), book=False)
    set_now(app, NOW + timedelta(days=2))
    world.sessions.append(later)
    world.record(4, "absent")  # three in a row now: disengaged, a new follow-up
    assert [(f.state, f.status) for f in _follow_ups()] == [("closed", "at_risk"), ("open", "disengaged")]


def test_one_follow_up_open_per_home_and_group(app, world):
    now = now_utc()
    first = opening.open_follow_up(world.group.id, world.home.id, "at_risk", "Missed two.", now)
    assert first is not None
    assert opening.open_follow_up(world.group.id, world.home.id, "disengaged", "Again", now) is None
    with pytest.raises(IntegrityError), db.session.begin_nested():  # the index itself, not only the code
        db.session.add(FollowUp(group_id=world.group.id, home_id=world.home.id, status="at_risk", reason="x",
                                state="snoozed", opened_at=now))
        db.session.flush()
    # another home, or once closed: a new one may open
    assert opening.open_follow_up(world.group.id, world.other.id, "at_risk", "x", now) is not None
    services.change_state(first, {"state": "closed", "outcome": "withdrawn"}, by=world.facilitator)
    assert opening.open_follow_up(world.group.id, world.home.id, "at_risk", "x", now) is not None
    transaction.commit()
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 3


def test_a_snooze_ends_and_the_clock_starts_again(app, world):
    for index, status in enumerate(("present", "present", "absent", "absent")):
        world.record(index, status)
    (follow_up,) = _follow_ups()
    services.change_state(follow_up, {"state": "snoozed", "snooze_until": date(2025, 3, 20)},
                          by=world.facilitator)
    transaction.commit()
    set_now(app, NOW + timedelta(days=11))  # overdue by its opening, but snoozed: nothing
    assert worker.run_once().escalated == 0
    set_now(app, NOW + timedelta(days=23))  # 20 March, noon: woken, its clock 12 hours old
    result = worker.run_once()
    assert (result.woken, result.escalated) == (1, 0)
    db.session.refresh(follow_up)
    assert follow_up.state == "open"
    set_now(app, NOW + timedelta(days=33))  # ten days after the morning it woke
    assert worker.run_once().escalated == 1


def _open(world: World) -> FollowUp:
    follow_up = opening.open_follow_up(world.group.id, world.home.id, "at_risk", "Missed two.", now_utc())
    transaction.commit()
    return follow_up


def test_the_api_lets_the_groups_facilitators_act_and_leads_read(app, world, api):
    follow_up = _open(world)
    url = f"/api/v1/follow-ups/{follow_up.id}"
    api.as_user(world.lead)
    listed = api.get(f"/api/v1/follow-ups?state=open&home_id={world.home.id}").json["follow_ups"]
    assert [f["id"] for f in listed] == [follow_up.id]
    assert set(listed[0]) == {"id", "home_id", "group_id", "reason", "state", "opened_at", "snooze_until",
                              "escalated_at", "contacts"}
    assert api.post(url + "/contacts", json={"channel": "phone", "outcome": "x"}).status_code == 403
    api.as_user(world.outsider)  # another group's facilitator: nothing there
    assert api.get("/api/v1/follow-ups").json == {"follow_ups": []}
    assert api.patch(url, json={"state": "closed", "outcome": "other"}).status_code == 404
    api.as_user("supervisor")
    assert api.get("/api/v1/follow-ups").status_code == 403

    api.as_user(world.facilitator)
    logged = api.post(url + "/contacts", json={"channel": "visit", "contact_id": world.home.contacts[0].id,
                                                "outcome": "Visited; they are short of staff.",
                                                "next_step": "Call the manager", "next_on": "2025-03-03"})
    assert logged.status_code == 201
    (contact,) = logged.json["contacts"]
    assert contact["channel"] == "visit" and contact["logged_by"] == world.facilitator.name
    assert set(contact) == {"channel", "contact_id", "outcome", "next_step", "next_on", "logged_by",
                            "logged_at"}
    snoozed = api.patch(url, json={"state": "snoozed", "snooze_until": "2025-03-10"})
    assert snoozed.status_code == 200 and snoozed.json["state"] == "snoozed"
    closed = api.patch(url, json={"outcome": "re_engaged"})
    assert closed.json["state"] == "closed"
    assert api.get("/api/v1/follow-ups?state=closed").json["follow_ups"][0]["id"] == follow_up.id


@pytest.mark.parametrize(("path", "body", "field"), [
    ("", {"state": "snoozed", "snooze_until": "2025-02-24"}, "snooze_until"),
    ("", {"state": "snoozed", "snooze_until": "2025-02-25"}, "snooze_until"),
    ("", {"state": "closed"}, "outcome"),
    ("", {"state": "closed", "outcome": "cured"}, "outcome"),
    ("", {"state": "open"}, "state"),
    ("/contacts", {"channel": "carrier_pigeon", "outcome": "x"}, "channel"),
    ("/contacts", {"channel": "phone", "contact_id": "OTHER", "outcome": "x"}, "contact_id"),
    ("/contacts", {"channel": "phone", "outcome": "  "}, "outcome"),
    ("/contacts", {"channel": "phone", "outcome": "x", "next_on": "2025-02-01"}, "next_on"),
])
def test_the_api_names_the_field_of_each_refusal(app, world, api, path, body, field):
    follow_up = _open(world)
    if body.get("contact_id") == "OTHER":
        body = {**body, "contact_id": world.other.contacts[0].id}  # a contact of another home
    api.as_user(world.facilitator)
    method = api.patch if path == "" else api.post
    answer = method(f"/api/v1/follow-ups/{follow_up.id}{path}", json=body)
    assert answer.status_code == 422
    assert field in answer.json["error"]["fields"]
    db.session.refresh(follow_up)
    assert follow_up.state == "open" and follow_up.contacts == []


def test_the_list_filter_refuses_an_unknown_state(app, world, api):
    api.as_user(world.lead)
    answer = api.get("/api/v1/follow-ups?state=forgotten")
    assert answer.status_code == 422 and "state" in answer.json["error"]["fields"]


def test_the_pages_log_a_contact_with_every_problem_at_once_then_close(app, world, client):
    follow_up = _open(world)
    auth = Auth(client, world.make)
    auth.login(world.facilitator)
    page_url = f"/follow-ups/{follow_up.id}"
    page = client.get(page_url)
    assert page.status_code == 200 and "Log a contact" in page.text
    token = csrf_token(page.text)
    refused = client.post(page_url + "/contacts", data={
        "csrf_token": token, "contact-channel": "", "contact-outcome": "", "contact-next_on": "2025-01-01"})
    assert refused.status_code == 422
    for problem in ("Choose one of: phone", "Say what came of the contact.", "cannot be in the past"):
        assert problem in refused.text
    assert client.post(page_url + "/contacts", data={"contact-channel": "phone",
                                                     "contact-outcome": "x"}).status_code == 400  # no CSRF
    logged = client.post(page_url + "/contacts", data={
        "csrf_token": token, "contact-channel": "phone", "contact-contact_id": str(world.home.contacts[1].id),
        "contact-outcome": "Spoke to the manager."}, follow_redirects=True)
    assert "Spoke to the manager." in logged.text and world.home.contacts[1].name in logged.text
    no_outcome = client.post(page_url + "/close", data={"csrf_token": token, "close-outcome": ""})
    assert no_outcome.status_code == 422 and "Choose the outcome" in no_outcome.text
    closed = client.post(page_url + "/close", data={"csrf_token": token, "close-outcome": "paused"},
                         follow_redirects=True)
    assert "The follow-up is closed." in closed.text
    history = client.get(f"/homes/{world.home.id}").text
    assert "Follow-ups" in history and "Closed: paused" in history
    assert client.get("/follow-ups").status_code == 200
    auth.logout()
    auth.login(world.outsider)
    assert client.get(page_url).status_code == 404


def test_the_dashboard_says_no_contact_for_n_days(app, world, client):
    for index, status in enumerate(("present", "present", "absent", "absent")):
        world.record(index, status)
    Auth(client, world.make).login(world.lead)
    assert "No contact for" not in client.get("/reports/attendance").text
    set_now(app, NOW + timedelta(days=11))
    assert "No contact for 11 days." in client.get("/reports/attendance").text


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_we_missed_you_is_previewed_then_delivered_once_through_a_real_smtp_server(make_app, smtp):
    app = make_app(**invites_config(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                                    SMTP_STARTTLS=False, SMTP_TIMEOUT=5))
    with app.app_context():
        world = World(app)
        follow_up = _open(world)
        client = app.test_client()
        Auth(client, world.make).login(world.facilitator)
        url = f"/follow-ups/{follow_up.id}/missed-you"
        assert "no upcoming session" in client.get(url, follow_redirects=True).text  # nothing to invite to
        upcoming = add_session(world.group, title="Week 5: finding calm", book=False)  # Tuesday 4 March
        preview = client.get(url)
        assert preview.status_code == 200 and "Tuesday 4 March, 10:00–11:30 (UK time)" in preview.text
        assert "(their own one-tap join link)" in preview.text
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        sent = client.post(url, data={"csrf_token": csrf_token(preview.text)}, follow_redirects=True)
        assert "on its way to 2 contacts" in sent.text
        assert client.post(url, data={"csrf_token": csrf_token(preview.text)},
                           follow_redirects=True).text.count("already sent") == 1
        assert run_once().sent == 2 and run_once().sent == 0
        mails = [message_from_bytes(raw, policy=policy.default) for raw in smtp.received]
        to = sorted(m["To"].addresses[0].addr_spec for m in mails)
        assert to == sorted(c.email for c in world.home.contacts)
        mail = mails[0]
        assert mail["Subject"] == "We missed you: the next session is Tuesday 4 March at 10:00"
        text = mail.get_body(("plain",)).get_content()
        assert "We have missed Ardenlea House" in text and "Week 5: finding calm" in text
        assert re.search(r"/j/[\w-]{20,}", text)
        assert re.search(rf"/h/[\w-]{{20,}}/sessions/{upcoming.id}/apology", text)
        db.session.refresh(follow_up)
        assert follow_up.missed_you_sent_at == NOW


def test_the_command_runs_one_pass(app, world):
    for index, status in enumerate(("present", "present", "absent", "absent")):
        register.save_register(world.sessions[index], [RowInput(world.home.id, status)], expected_version=0,
                               user=world.facilitator, now=now_utc())
    transaction.commit()
    result = app.test_cli_runner().invoke(args=["follow-ups", "run"])
    assert result.exit_code == 0
    assert ("Follow-ups: 1 opened, 0 back from a snooze, 0 escalated to the leads, "
            "0 apology digests queued.") in result.output
