"""Apologies where the facilitator works (issue 18): on the register screen and its API, the
session page and the facilitator's home page; the API of a session's apologies; the apology a
home makes by declining in every invited contact's calendar; a paused home on the register."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from facilitator.absence import pauses
from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import Apology, AttendanceEntry, CareHome, MeetingSession, User
from tests.support.attendance import entries, form_data
from tests.support.factories import Auth, Factory, csrf_token
from tests.support.imap import Dovecot, running_dovecot
from tests.support.invites import JOINED, NOW, START, add_session, deliver, invites_config, set_now
from tests.test_calendar_replies import DONE, ORGANIZER, contacts_of, fetch, fixture, reply_email

NOTE = "Outbreak on the ground floor"
APOLOGY_KEYS = {"home_id", "contact_id", "reason", "note", "created_at", "withdrawn_at"}


@pytest.fixture
def world(app, make: Factory) -> dict:
    """Ashgrove House and Birchwood Lodge in one facilitator's group, a session of it next week,
    and another group (another facilitator) with Craigmhor Care Home."""
    set_now(app, NOW)
    facilitator, other = make.user("facilitator"), make.user("facilitator")
    a, b, c = make.home("Ashgrove House"), make.home("Birchwood Lodge"), make.home("Craigmhor Care Home")
    group = make.group("Fife PSL", facilitators=[facilitator], homes=[a, b], joined_on=JOINED)
    make.group("Lothian PSL", facilitators=[other], homes=[c], joined_on=JOINED)
    session = add_session(group, starts_at=START)
    client = app.test_client()
    Auth(client, make).login(facilitator)
    return {"facilitator": facilitator, "other": other, "a": a, "b": b, "session": session, "client": client,
            "register": f"/sessions/{session.id}/register"}


def apologise(app, home: CareHome, session: MeetingSession, reason: str = "outbreak_or_illness",
              note: str = NOTE, contact: int = 0, withdraw: bool = False) -> None:
    """Through the contact's own link, on a client of its own (no one signed in)."""
    client = app.test_client()
    url = f"/h/{mint_contact_token(home.contacts[contact])}/sessions/{session.id}/apology"
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html)}
    sent = client.post(f"{url}/withdraw", data=data) if withdraw else client.post(
        url, data={**data, "reason": reason, "note": note})
    assert sent.status_code == 303, sent.get_data(as_text=True)


def register_api(api, session: MeetingSession) -> dict[int, dict]:
    answer = api.get(f"/api/v1/sessions/{session.id}/attendance")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {e["home_id"]: e for e in answer.get_json()["entries"]}


def test_an_apology_by_link_shows_on_the_register_its_api_the_session_page_and_the_home_page(
        app, world, api):
    a, b, session, client = world["a"], world["b"], world["session"], world["client"]
    apologise(app, a, session)

    register = client.get(world["register"]).get_data(as_text=True)
    assert f"Apologised: Outbreak or illness — {NOTE} ({a.contacts[0].name})" in register
    assert register.count("Apologised:") == 1
    assert (entries(session)[a.id].status, entries(session)[a.id].source) == ("excused", "apology")

    api.as_user(world["facilitator"])
    lines = register_api(api, session)
    mine = lines[a.id]
    assert (mine["status"], mine["source"], mine["paused"]) == ("excused", "apology", False)
    assert {k: lines[a.id]["apology"][k] for k in ("reason", "note")} == {"reason": "outbreak_or_illness",
                                                                         "note": NOTE}
    assert lines[a.id]["apology"]["created_at"].startswith(NOW.date().isoformat())
    assert (lines[b.id]["apology"], lines[b.id]["paused"], lines[b.id]["status"]) == (None, False, None)

    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    section = page.split('id="session-apologies-heading"', 1)[1].split("</section>", 1)[0]
    assert f"<strong>Ashgrove House</strong>: Outbreak or illness — {NOTE}" in section
    assert "Birchwood Lodge" not in section

    home = client.get("/").get_data(as_text=True)
    listed = home.split('id="upcoming-apologies"', 1)[1].split("</ul>", 1)[0]
    assert "<strong>Ashgrove House</strong> for" in listed and f"Outbreak or illness — {NOTE}" in listed
    assert f'href="/sessions/{session.id}"' in listed


def test_a_withdrawn_apology_leaves_the_pages(app, world):
    a, session, client = world["a"], world["session"], world["client"]
    apologise(app, a, session)
    apologise(app, a, session, withdraw=True)
    assert "Apologised:" not in client.get(world["register"]).get_data(as_text=True)
    page = client.get(f"/sessions/{session.id}").get_data(as_text=True)
    assert 'id="session-apologies-heading"' not in page
    assert 'id="upcoming-apologies"' not in client.get("/").get_data(as_text=True)


def test_the_facilitator_recording_present_overrides_the_apology(app, world, api):
    a, b, session, client = world["a"], world["b"], world["session"], world["client"]
    apologise(app, a, session, reason="staffing", note="Two on leave")
    set_now(app, START + timedelta(hours=2))
    html = client.get(world["register"]).get_data(as_text=True)
    saved = client.post(world["register"], data=form_data(html, {"rows-0-status": "present",
                                                                 "rows-1-status": "absent"}))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    entry = entries(session)[a.id]
    assert (entry.status, entry.source) == ("present", "manual")

    api.as_user(world["facilitator"])
    line = register_api(api, session)[a.id]
    assert (line["status"], line["source"]) == ("present", "manual")
    assert line["apology"]["reason"] == "staffing"  # still said, but the facilitator's record stands
    assert register_api(api, session)[b.id]["status"] == "absent"


def test_mark_all_present_leaves_a_home_excused_by_its_apology(app, world):
    a, b, session, client = world["a"], world["b"], world["session"], world["client"]
    apologise(app, a, session)
    set_now(app, START + timedelta(hours=2))
    html = client.get(world["register"]).get_data(as_text=True)
    marked = client.post(world["register"], data=form_data(html, {"mark_all": "1"}))
    page = marked.get_data(as_text=True)
    assert "Homes that sent apologies or are paused are left as they were." in page
    saved = client.post(world["register"], data=form_data(page, {}))
    assert saved.status_code == 302
    now = entries(session)
    assert ((now[a.id].status, now[a.id].source), now[b.id].status) == (("excused", "apology"), "present")


def test_the_apologies_api_lists_withdrawn_ones_and_hides_another_groups_session(app, world, api):
    a, b, session = world["a"], world["b"], world["session"]
    apologise(app, a, session, reason="technology", note="The tablet is away for repair")
    apologise(app, a, session, withdraw=True)
    set_now(app, NOW + timedelta(hours=1))
    apologise(app, b, session, reason="staffing", note="", contact=1)

    api.as_user(world["facilitator"])
    answer = api.get(f"/api/v1/sessions/{session.id}/apologies")
    assert answer.status_code == 200
    body = answer.get_json()
    assert list(body) == ["apologies"]
    first, second = body["apologies"]
    assert set(first) == set(second) == APOLOGY_KEYS
    assert (first["home_id"], first["contact_id"], first["reason"], first["note"]) == (
        a.id, a.contacts[0].id, "technology", "The tablet is away for repair")
    assert first["withdrawn_at"] is not None and first["created_at"].startswith("2025-02-25T12:00:00")
    assert [second[k] for k in ("home_id", "contact_id", "reason", "note", "withdrawn_at")] == [
        b.id, b.contacts[1].id, "staffing", "", None]

    api.as_user(world["other"])
    assert api.get(f"/api/v1/sessions/{session.id}/apologies").status_code == 404
    api.as_user("lead")
    assert len(api.get(f"/api/v1/sessions/{session.id}/apologies").get_json()["apologies"]) == 2
    assert api.get(f"/api/v1/sessions/{2**31 - 1}/apologies").status_code == 404


def test_a_paused_home_shows_paused_on_the_register_and_is_left_by_mark_all(app, world, api):
    b, session, client = world["b"], world["session"], world["client"]
    pauses.add_pause(b.id, pauses.PauseInput(date(2025, 3, 1), date(2025, 3, 14), "outbreak", ""),
                     world["facilitator"], NOW)
    db.session.commit()
    set_now(app, START + timedelta(hours=2))
    register = client.get(world["register"]).get_data(as_text=True)
    line = register.split(f'id="home-{b.id}"', 1)[1].split("</fieldset>", 1)[0]
    assert "Paused (outbreak) until 14 March 2025" in line and "Not expected at this session" in line
    assert "Paused" not in register.split(f'id="home-{world["a"].id}"', 1)[1].split("</fieldset>", 1)[0]

    api.as_user(world["facilitator"])
    lines = register_api(api, session)
    assert (lines[b.id]["paused"], lines[world["a"].id]["paused"]) == (True, False)

    marked = client.post(world["register"], data=form_data(register, {"mark_all": "1"}))
    assert "left as they were" in marked.get_data(as_text=True)
    saved = client.post(world["register"], data=form_data(marked.get_data(as_text=True), {}))
    assert saved.status_code == 302
    statuses = {h: e.status for h, e in entries(session).items()}
    assert (statuses[world["a"].id], statuses.get(b.id)) == ("present", None)


def test_a_pause_that_ends_before_the_session_leaves_the_home_expected(app, world):
    b = world["b"]
    pauses.add_pause(b.id, pauses.PauseInput(date(2025, 2, 1), date(2025, 3, 3), "inspection", ""),
                     world["facilitator"], NOW)
    db.session.commit()
    assert "Paused (" not in world["client"].get(world["register"]).get_data(as_text=True)


# ------------------------------------------------------------------------ calendar declines

@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


class TestCalendarDeclines:
    """Replies fed through a real IMAP server, as ``tests/test_calendar_replies.py`` does."""

    @pytest.fixture
    def dovecot(self, imap_server: Dovecot) -> Dovecot:
        imap_server.reset()
        return imap_server

    @pytest.fixture
    def app(self, make_app, dovecot):
        app = make_app(**invites_config(ORGANIZER_EMAIL=ORGANIZER, **dovecot.settings(IMAP_DONE_FOLDER=DONE)))
        with app.app_context():
            yield app

    @pytest.fixture
    def booked(self, app, make) -> dict:
        """Ardenlea House with two invited contacts, Bellfield Court with one."""
        homes = [make.home("Ardenlea House", contacts=2), make.home("Bellfield Court", contacts=1)]
        facilitator = make.user("facilitator")
        group = make.group("West of Scotland PSL", facilitators=[facilitator], homes=homes, joined_on=JOINED)
        session = add_session(group)
        _, sent = deliver(app)
        assert len(sent) == 3
        return {"id": session.id, "uid": session.ical_uid, "homes": [h.id for h in homes],
                "facilitator": facilitator.id}

    @staticmethod
    def calendar_apologies(session_id: int) -> list[Apology]:
        db.session.rollback()
        return list(db.session.scalars(select(Apology).where(Apology.session_id == session_id)))

    @staticmethod
    def entry(session_id: int, home_id: int) -> AttendanceEntry | None:
        return db.session.scalar(select(AttendanceEntry).where(
            AttendanceEntry.session_id == session_id, AttendanceEntry.home_id == home_id))

    def test_every_invited_contact_declining_is_the_homes_apology_and_an_acceptance_withdraws_it(
            self, app, booked, dovecot, runner, make, api):
        ann, bob = contacts_of("Ardenlea House")
        for address in (ann, bob):
            dovecot.append(reply_email(fixture("google", booked["uid"], address), address))
        assert "2 answers recorded" in fetch(runner)

        (apology,) = self.calendar_apologies(booked["id"])
        assert (apology.home_id, apology.contact_id, apology.reason, apology.note, apology.source) == (
            booked["homes"][0], None, "other", "Declined in calendar", "calendar")
        assert apology.withdrawn_at is None
        entry = self.entry(booked["id"], booked["homes"][0])
        assert (entry.status, entry.source) == ("excused", "apology")

        facilitator = db.session.get(User, booked["facilitator"])
        client = app.test_client()
        Auth(client, make).login(facilitator)
        register = client.get(f"/sessions/{booked['id']}/register").get_data(as_text=True)
        assert "Apologised: Other — Declined in calendar (calendar)" in register
        assert register.count("Declined in calendar") == 1
        api.as_user(facilitator)
        api_answer = api.get(f"/api/v1/sessions/{booked['id']}/apologies").get_json()
        assert [(a["contact_id"], a["reason"], a["note"]) for a in api_answer["apologies"]] == [
            (None, "other", "Declined in calendar")]

        dovecot.append(reply_email(fixture("google", booked["uid"], ann), ann))
        assert "1 already known" in fetch(runner)  # the same reply again changes nothing
        assert len(self.calendar_apologies(booked["id"])) == 1

        dovecot.append(reply_email(fixture("outlook", booked["uid"], bob, sequence=1), bob))
        assert "1 answers recorded" in fetch(runner)
        (apology,) = self.calendar_apologies(booked["id"])
        assert apology.withdrawn_at is not None
        assert self.entry(booked["id"], booked["homes"][0]) is None

    def test_a_decline_by_one_of_two_contacts_is_no_apology(self, app, booked, dovecot, runner):
        ann, _ = contacts_of("Ardenlea House")
        (cara,) = contacts_of("Bellfield Court")
        dovecot.append(reply_email(fixture("google", booked["uid"], ann), ann))
        dovecot.append(reply_email(fixture("apple", booked["uid"], cara), cara))
        assert "2 answers recorded" in fetch(runner)
        assert self.calendar_apologies(booked["id"]) == []
        assert self.entry(booked["id"], booked["homes"][0]) is None
