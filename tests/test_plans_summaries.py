"""Session plans and summaries (issue 19).

The summary goes once, through the outbox and a real SMTP server on loopback, to every active
contact of every home that was a member on the session's date (present or absent), to no home
that had left and to no inactive contact, and never carries the confidential note written on the
same session (a canary). The plan is in the invitation email and in the event's DESCRIPTION, read
back by ``icalendar``; a plan changed after the invitations went out sends an update (a series:
the occurrence as an override). The API's shapes, its 409 on a second send, 422s and roles.
Clock: Tuesday 25 February 2025 (``tests/support/invites.NOW``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from email import message_from_bytes, policy

import icalendar
import pytest
from sqlalchemy import func, select, update

from facilitator import transaction
from facilitator.attendance import register
from facilitator.attendance.register import RowInput
from facilitator.clock import now_utc
from facilitator.errors import ConflictError
from facilitator.extensions import db
from facilitator.invites import hooks
from facilitator.invites.outbox import run_once
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import HomeAction, Membership, MessageKind, OutboxMessage, Resource, SessionSummary
from facilitator.plans import services
from facilitator.resources.services import ResourceData, save_resource
from facilitator.supervision import services as notes
from tests.support.factories import ApiClient, Auth, Factory, csrf_token
from tests.support.invites import BASE, JOINED, NOW, add_session, deliver, invites_config
from tests.support.notes import WEB
from tests.test_outbox import SmtpServer

# The confidential note's canary: words no summary, page or email of this test may carry.
CANARY = "Canary zephyrine quillwort brackenfold"
CANARY_WORDS = ("zephyrine", "quillwort", "brackenfold")
SUMMARY = "We talked about noticing stress in the team, and tried a two-minute grounding exercise."
THEME = "Looking after ourselves; noticing stress, early"
AGENDA = "1. Check-in\n2. Grounding, together\n3. What we'll try before next time"


def no_canary(text: str) -> bool:
    return not any(word in text.lower() for word in CANARY_WORDS)


class World:
    """A group of three homes: one that stays, one absent from the session, one that left before
    it; a home of another group; the group's facilitator, another facilitator, a lead, a supervisor."""

    def __init__(self, app, starts_at=NOW - timedelta(days=1)) -> None:
        make = self.make = Factory(app)
        self.facilitator = make.user("facilitator")
        self.outsider = make.user("facilitator")
        self.lead, self.supervisor = make.user("lead"), make.user("supervisor")
        self.admin = make.user("admin")
        self.stays = make.home("Ardenlea House", contacts=3)
        self.absent = make.home("Bellfield Court")
        self.left = make.home("Craigmount")
        self.group = make.group("Fife PSL", facilitators=[self.facilitator],
                                homes=[self.stays, self.absent, self.left], joined_on=JOINED)
        self.elsewhere = make.home("Dunmore Lodge")
        make.group("Tayside PSL", facilitators=[self.outsider], homes=[self.elsewhere], joined_on=JOINED)
        membership = db.session.scalar(select(Membership).where(Membership.home_id == self.left.id))
        membership.left_on = (starts_at - timedelta(days=7)).date()
        self.stays.contacts[2].is_active = False
        db.session.commit()
        self.session = add_session(self.group, title="Week 3: stress", starts_at=starts_at, book=False)

    @property
    def recipients(self) -> set[str]:
        return {c.email for c in self.stays.contacts[:2]} | {c.email for c in self.absent.contacts}

    def take_register(self) -> None:
        register.save_register(self.session, [RowInput(self.stays.id, "present"),
                                              RowInput(self.absent.id, "absent")],
                               expected_version=0, user=self.facilitator, now=now_utc())
        transaction.commit()

    def write_canary_note(self) -> None:
        notes.create_note(self.facilitator, self.session.id, CANARY, WEB, self.stays.id)
        db.session.commit()

    def api(self, app, user) -> ApiClient:
        api = ApiClient(app, self.make)
        api.as_user(user)
        return api


def signed_in(app, world: World, user):
    client = app.test_client()
    Auth(client, world.make).login(user)
    return client


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


def add_resource(title: str, url: str) -> Resource:
    data = ResourceData(title=title, publisher="nes", url=url, format="animation", ksf_level="informed",
                        topics=["staff wellbeing"])
    resource = save_resource(data)
    db.session.commit()
    return resource


def _open_action(home, title: str) -> None:
    db.session.add(HomeAction(home_id=home.id, title=title, due_on=date(2025, 2, 1), status="in_progress"))
    db.session.commit()


# --------------------------------------------------------------------------------- summary


def test_the_summary_goes_once_to_exactly_the_member_homes_contacts_over_smtp_without_the_note(
        make_app, smtp):
    app = make_app(**invites_config(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                                    SMTP_STARTTLS=False, SMTP_TIMEOUT=5))
    with app.app_context():
        world = World(app)
        world.take_register()
        world.write_canary_note()
        _open_action(world.stays, "Put a quiet-room sign on the staff room door")
        _open_action(world.absent, "Ask the night team about handovers")
        client = signed_in(app, world, world.facilitator)
        url = f"/sessions/{world.session.id}/summary"

        page = client.get(url)
        assert page.status_code == 200 and no_canary(page.text)
        assert "Sent to every home in the group — not confidential" in page.text
        assert "Never paste anything from your confidential notes" in page.text
        refused = client.post(url, data={"csrf_token": csrf_token(page.text), "text": "x" * 5001})
        assert refused.status_code == 422 and "At most 5000 characters" in refused.text
        resource = add_resource("Looking after yourself at work", "https://learn.example.org/self-care")
        page = client.get(url)
        assert "Looking after yourself at work" in page.text  # offered in the multi-select
        saved = client.post(url, data={"csrf_token": csrf_token(page.text), "text": SUMMARY,
                                       "resource_ids": [str(resource.id)]})
        assert saved.status_code == 302 and saved.location.endswith(f"{url}/preview")
        preview = client.get(f"{url}/preview")
        assert preview.status_code == 200 and SUMMARY in preview.text and no_canary(preview.text)
        assert "It goes to 4 contacts at Ardenlea House, Bellfield Court" in preview.text
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0  # preview only

        form = {"csrf_token": csrf_token(preview.text)}
        sent = client.post(f"{url}/send", data=form, follow_redirects=True)
        assert "on its way to 4 contacts" in sent.text and "Sent on" in sent.text
        again = client.post(f"{url}/send", data=form, follow_redirects=True)
        assert "already sent" in again.text
        changed = client.post(url, data={"csrf_token": csrf_token(preview.text), "text": "Another text"})
        assert changed.status_code == 409 and "It goes once, so it can no longer be changed." in changed.text
        api = world.api(app, world.facilitator)
        conflict = api.post(f"/api/v1/sessions/{world.session.id}/summary/send")
        assert conflict.status_code == 409
        assert re.search(r"already sent, on 25 February 2025 at 12:00", conflict.json["error"]["message"])

        assert run_once().sent == 4 and run_once().sent == 0
        mails = [message_from_bytes(raw, policy=policy.default) for raw in smtp.received]
        assert sorted(m["To"].addresses[0].addr_spec for m in mails) == sorted(world.recipients)
        for mail in mails:
            assert mail["Subject"] == "Summary: Week 3: stress, Monday 24 February at 12:00"
            text = mail.get_body(("plain",)).get_content()
            html = mail.get_body(("html",)).get_content()
            assert SUMMARY in text and no_canary(text) and no_canary(html)
            assert "- Looking after yourself at work: https://learn.example.org/self-care" in text
            assert '<a href="https://learn.example.org/self-care">Looking after yourself at work</a>' in html
            assert no_canary(mail.as_string())
            assert re.search(rf"{BASE}/h/[\w-]{{20,}}", text)
            to = mail["To"].addresses[0].addr_spec
            ours = "quiet-room sign" in text
            assert ours == (to in {c.email for c in world.stays.contacts})
            assert ("night team" in text) == (to in {c.email for c in world.absent.contacts})

        home_link = re.search(rf"{BASE}(/h/[\w-]{{20,}})", mails[0].get_body(("plain",)).get_content())[1]
        home_page = app.test_client().get(home_link)
        assert home_page.status_code == 200 and "Summary of Week 3: stress" in home_page.text
        assert SUMMARY in home_page.text and no_canary(home_page.text)
        assert 'href="https://learn.example.org/self-care"' in home_page.text
        summary = db.session.scalar(select(SessionSummary))
        assert (summary.sent_at, summary.queued, summary.sent_by_id) == (NOW, 4, world.facilitator.id)


def test_summary_rules_and_the_session_page(app):
    world = World(app)
    world.write_canary_note()
    api = world.api(app, world.facilitator)
    base = f"/api/v1/sessions/{world.session.id}/summary"
    empty = api.post(f"{base}/send")
    assert empty.status_code == 422 and "text" in empty.json["error"]["fields"]
    put = api.put(base, json={"text": f"  {SUMMARY}  "})
    assert put.status_code == 200 and no_canary(put.text)
    assert put.json == {"session_id": world.session.id, "text": SUMMARY, "resource_ids": [],
                        "updated_at": put.json["updated_at"], "sent_at": None, "queued": 0}
    too_long = api.put(base, json={"text": "y" * 5001, "resource_ids": [999]})
    assert too_long.status_code == 422
    assert set(too_long.json["error"]["fields"]) == {"text", "resource_ids"}
    assert api.put(base, json={"text": SUMMARY, "note_id": 1}).status_code == 422  # no way to copy a note
    page = signed_in(app, world, world.facilitator).get(f"/sessions/{world.session.id}")
    assert "Written, not sent yet." in page.text and no_canary(page.text)

    sent = api.post(f"{base}/send")
    assert sent.status_code == 202 and sent.json == {"queued": 4}
    kinds = db.session.scalars(select(OutboxMessage.kind)).all()
    assert kinds == [MessageKind.SUMMARY.value] * 4
    assert api.put(base, json={"text": "changed"}).status_code == 409  # it went as it is
    page = signed_in(app, world, world.lead).get(f"/sessions/{world.session.id}")
    assert SUMMARY in page.text and "4 emails queued" in page.text and no_canary(page.text)
    read = world.api(app, world.lead).get(base)
    assert read.status_code == 200 and read.json["text"] == SUMMARY and read.json["queued"] == 4
    assert world.api(app, world.outsider).get(base).status_code == 404
    assert world.api(app, world.lead).get(f"/api/v1/sessions/{world.session.id}/plan").status_code == 404


def test_of_two_sends_at_once_the_conditional_update_lets_one_through(app):
    """The other send read the summary unsent, then this one's UPDATE finds it sent: refused, and
    nothing queued by it (the row in memory still says unsent, as the slower request's would)."""
    world = World(app)
    services.save_summary(world.session, services.SummaryData(SUMMARY), world.facilitator, now_utc())
    db.session.commit()
    summary = db.session.scalar(select(SessionSummary))
    db.session.execute(update(SessionSummary).values(sent_at=NOW - timedelta(minutes=1), queued=4)
                       .execution_options(synchronize_session=False))
    assert summary.sent_at is None
    with pytest.raises(ConflictError, match="already sent, on 25 February 2025 at 11:59"):
        services.send_summary(world.session, world.facilitator, NOW)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_draft_summary_is_not_on_the_homes_page(app):
    world = World(app)
    video = add_resource("Opening doors, an animation", "https://learn.example.org/opening-doors")
    with_video = services.SummaryData(SUMMARY, [video.id])
    services.save_summary(world.session, with_video, world.facilitator, now_utc())
    token = mint_contact_token(world.stays.contacts[0])
    db.session.commit()
    page = app.test_client().get(f"/h/{token}")
    assert page.status_code == 200 and SUMMARY not in page.text
    services.send_summary(world.session, world.facilitator, now_utc())
    db.session.commit()
    sent = app.test_client().get(f"/h/{token}").text
    assert SUMMARY in sent
    shared = sent.split('id="shared-resources"', 1)[1].split("</ul>", 1)[0]
    assert "Opening doors, an animation" in shared, "the resources shared with the group, listed once"
    left = mint_contact_token(world.left.contacts[0])
    db.session.commit()
    assert SUMMARY not in app.test_client().get(f"/h/{left}").text  # it had left before the session


def test_a_summary_waits_for_the_session_to_take_place(app):
    world = World(app, starts_at=NOW + timedelta(days=7))
    api = world.api(app, world.facilitator)
    base = f"/api/v1/sessions/{world.session.id}/summary"
    assert api.put(base, json={"text": SUMMARY}).status_code == 200
    early = api.post(f"{base}/send")
    assert early.status_code == 422 and "session" in early.json["error"]["fields"]


@pytest.mark.parametrize(("who", "status"), [("lead", 403), ("supervisor", 403), ("outsider", 404),
                                            ("admin", 200), ("facilitator", 200)])
def test_who_may_write_plans_and_summaries(app, who, status):
    world = World(app)
    api = world.api(app, getattr(world, who))
    sid = world.session.id
    assert api.put(f"/api/v1/sessions/{sid}/plan", json={"theme": THEME}).status_code == status
    assert api.put(f"/api/v1/sessions/{sid}/summary", json={"text": SUMMARY}).status_code == status
    sent = api.post(f"/api/v1/sessions/{sid}/summary/send")
    assert sent.status_code == (202 if status == 200 else status)
    web = signed_in(app, world, getattr(world, who))
    assert web.get(f"/sessions/{sid}/plan").status_code == status
    assert web.get(f"/sessions/{sid}/summary").status_code == status


# ------------------------------------------------------------------------------------ plan


def _event(ics: bytes) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    return event


def test_the_plan_is_in_the_invitation_and_its_description_and_a_change_sends_an_update(app):
    world = World(app, starts_at=NOW + timedelta(days=7))
    hooks.session_booked(world.session)  # as booking does
    db.session.commit()
    api = world.api(app, world.facilitator)
    url = f"/api/v1/sessions/{world.session.id}/plan"
    bad = api.put(url, json={"theme": "t" * 201, "agenda": "a" * 2001, "resource_ids": [5]})
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"theme", "agenda", "resource_ids"}
    queued = db.session.scalar(select(func.count()).select_from(OutboxMessage))
    video = add_resource("Opening doors, an animation", "https://learn.example.org/opening-doors")
    unknown = api.put(url, json={"theme": THEME, "resource_ids": [video.id, video.id + 1000]})
    assert unknown.status_code == 422
    assert unknown.json["error"]["fields"] == {"resource_ids": f"No resource of the library has the id "
                                                               f"{video.id + 1000}."}
    put = api.put(url, json={"theme": THEME, "agenda": AGENDA, "resource_ids": [video.id]})
    read = api.get(url).json
    assert (read["theme"], read["agenda"], read["resource_ids"]) == (THEME, AGENDA, [video.id])
    assert put.status_code == 200
    assert put.json | {"updated_at": ""} == {"session_id": world.session.id, "theme": THEME, "agenda": AGENDA,
                                             "resource_ids": [video.id], "updated_at": ""}
    # Nothing went out yet: the waiting invitations carry the plan, no update is queued.
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued

    _, sent = deliver(app)
    assert sorted(m.to for m in sent) == sorted(world.recipients)
    for mail in sent:
        assert f"Plan for this session: {THEME}" in mail.text and AGENDA in mail.text
        assert "Plan for this session:</strong> Looking after ourselves; noticing stress, early" in mail.html
        description = str(_event(mail.calendar)["DESCRIPTION"])
        assert f"Plan for this session: {THEME}" in description and AGENDA in description
        assert "- Opening doors, an animation: https://learn.example.org/opening-doors" in description
        assert "- Opening doors, an animation: https://learn.example.org/opening-doors" in mail.text
    first_sequence = int(_event(sent[0].calendar)["SEQUENCE"])

    home_link = sent[0].links(f"{BASE}/h/")[0].removeprefix(BASE)
    home_page = app.test_client().get(home_link)
    assert f"Plan for this session: {THEME}" in home_page.text

    same = {"theme": THEME, "agenda": AGENDA, "resource_ids": [video.id]}
    assert api.put(url, json=same).status_code == 200
    assert deliver(app)[1] == []  # the same plan: nothing to say
    changed = {**same, "theme": "Sleep, and the night shift"}
    assert api.put(url, json=changed).status_code == 200
    _, updates = deliver(app)
    assert sorted(m.to for m in updates) == sorted(world.recipients)
    for mail in updates:
        assert mail.msg["Subject"].startswith("Updated:")
        event = _event(mail.calendar)
        assert "Plan for this session: Sleep, and the night shift" in str(event["DESCRIPTION"])
        assert int(event["SEQUENCE"]) > first_sequence


def test_a_plan_of_one_occurrence_of_a_series_goes_as_its_override(app):
    make = Factory(app)
    facilitator = make.user("facilitator")
    group = make.group("Series PSL", facilitators=[facilitator], homes=[make.home("Ardenlea House")],
                       joined_on=JOINED)
    api = ApiClient(app, make)
    api.as_user(facilitator)
    booked = api.post("/api/v1/sessions", json={
        "group_id": group.id, "title": "Trauma-informed practice", "starts_at": "2025-03-04T10:00:00",
        "duration_minutes": 90, "join_url": "https://meet.example.org/j/1", "repeat": {"every": "week",
                                                                                       "count": 4}})
    assert booked.status_code == 201, booked.json
    sessions = booked.json["sessions"]
    _, first = deliver(app)
    assert len(first) == 2
    assert all("RECURRENCE-ID" not in e for m in first
               for e in icalendar.Calendar.from_ical(m.calendar).walk("VEVENT"))

    third = sessions[2]["id"]
    plan = {"theme": THEME, "agenda": AGENDA}
    assert api.put(f"/api/v1/sessions/{third}/plan", json=plan).status_code == 200
    _, updates = deliver(app)
    assert len(updates) == 2
    for mail in updates:
        events = icalendar.Calendar.from_ical(mail.calendar).walk("VEVENT")
        overrides = [e for e in events if "RECURRENCE-ID" in e]
        (override,) = overrides
        assert override["RECURRENCE-ID"].dt.isoformat().startswith("2025-03-18")
        assert f"Plan for this session: {THEME}" in str(override["DESCRIPTION"])
        (master,) = [e for e in events if "RECURRENCE-ID" not in e]
        assert THEME not in str(master["DESCRIPTION"])
        assert f"Tuesday 18 March, 10:00–11:30 (UK time). Plan for this session: {THEME}" in mail.text


def test_the_plan_page_shows_every_problem_at_once_then_saves_with_resources(app):
    world = World(app, starts_at=NOW + timedelta(days=7))
    first = add_resource("Opening doors, an animation", "https://learn.example.org/opening-doors")
    second = add_resource("Sowing seeds, a film", "https://learn.example.org/sowing-seeds")
    client = signed_in(app, world, world.facilitator)
    url = f"/sessions/{world.session.id}/plan"
    page = client.get(url)
    assert page.status_code == 200 and "Sowing seeds, a film" in page.text
    refused = client.post(url, data={"csrf_token": csrf_token(page.text), "theme": "t" * 201,
                                     "agenda": "a" * 2001, "resource_ids": ["999999"]})
    assert refused.status_code == 422
    for problem in ("At most 200 characters (this has 201).", "At most 2000 characters (this has 2001).",
                    "No resource of the library has the id 999999."):
        assert refused.text.count(problem) == 2  # in the summary at the top and beside its field
    saved = client.post(url, data={"csrf_token": csrf_token(page.text), "theme": THEME, "agenda": AGENDA,
                                   "resource_ids": [str(first.id), str(second.id)]})
    assert saved.status_code == 302
    session_page = client.get(f"/sessions/{world.session.id}")
    assert THEME in session_page.text and 'href="https://learn.example.org/sowing-seeds"' in session_page.text
    again = client.get(url)
    assert again.text.count("selected") >= 2  # the chosen resources stay chosen
