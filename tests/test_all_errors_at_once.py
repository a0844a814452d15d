"""Issue 14, item 11: a form shows every problem at once, each beside its field and each listed
in the summary at the top with a link to its field, whichever check (the form's or the
service's) found it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from facilitator.extensions import db
from facilitator.models import User
from tests.support.factories import Auth
from tests.support.notes import REFLECTION_TEXT, audit_count, make_world

TODAY = date.today()


@pytest.fixture
def world(app, make):
    return make_world(app, make)


def summary_links(html: str) -> dict[str, str]:
    """The summary's problems: field id -> message."""
    box = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert box, "no error summary on the page"
    return {target: text for target, text in re.findall(r'<li><a href="#([^"]+)">([^<]+)</a></li>', box[0])}


def beside(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]+)</p>', html)
    assert found, f"no error beside {field_id}"
    return found[1]


def test_the_supervision_form_shows_the_forms_and_the_services_problems_together(world):
    auth = Auth(world.web("author"), world.make)
    held_on = TODAY + timedelta(days=3)
    response = auth.post("/supervision/new", {
        "held_on": held_on.isoformat(), "supervisor_id": world.supervisor.id,
        "external_supervisor": "Someone else", "minutes": "2", "format": "one_to_one",
        "reflections": REFLECTION_TEXT, "next_on": (held_on - timedelta(days=1)).isoformat()})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    links = summary_links(html)
    assert set(links) == {"minutes", "held_on", "next_on", "supervisor_id"}
    assert "Between 5 and 600" in links["minutes"] and "Between 5 and 600" in beside(html, "minutes")
    assert "cannot be in the future" in links["held_on"] == beside(html, "held_on")
    assert "must be after" in beside(html, "next_on") and "not both" in beside(html, "supervisor_id")
    assert "Some fields are not valid" not in html
    assert audit_count("supervision") == 0


def test_a_field_the_form_refused_is_not_also_refused_by_the_service(world):
    auth = Auth(world.web("author"), world.make)
    response = auth.post("/supervision/new", {
        "held_on": "not a date", "supervisor_id": world.supervisor.id, "minutes": "60",
        "format": "one_to_one"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert list(summary_links(html)) == ["held_on"]
    assert html.count('id="held_on-error"') == 1


def test_a_theme_list_links_to_its_first_box(world):
    auth = Auth(world.web("author"), world.make)
    response = auth.post("/supervision/new", {
        "held_on": TODAY.isoformat(), "supervisor_id": world.supervisor.id, "minutes": "60",
        "format": "one_to_one", "other_themes": "x" * 80})
    assert response.status_code == 422
    assert "under 60 characters" in summary_links(response.get_data(as_text=True))["themes-0"]


def test_the_new_user_form_shows_every_problem_at_once(auth, make):
    auth.login("admin")
    taken = make.user("lead", email="shona.grant@example.org")
    supervisor = make.user("supervisor")
    users_before = db.session.scalar(db.select(db.func.count()).select_from(User))
    response = auth.post("/users/new", {"name": " ", "email": taken.email, "role": "lead",
                                        "supervisor_id": supervisor.id})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    links = summary_links(html)
    assert set(links) == {"name", "email", "supervisor_id"}
    assert "already exists" in beside(html, "email")
    assert "Only facilitators have a supervisor" in beside(html, "supervisor_id")
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == users_before


def test_a_service_refusal_lists_its_field_in_the_summary(auth, make):
    """The summary lists each problem, not "Some fields are not valid", on every shared form."""
    auth.login("admin")
    response = auth.post("/homes/new", {"name": "Ardenlea", "beds": "-3"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "beds" in summary_links(html)


@pytest.fixture
def booking_world(make):
    facilitator = make.user("facilitator")
    return facilitator, make.group(facilitators=[facilitator], homes=[make.home()], provider="link")


def test_the_booking_form_shows_the_forms_and_the_services_problems_together(auth, booking_world):
    facilitator, group = booking_world
    auth.login(facilitator)
    response = auth.post(f"/groups/{group.id}/sessions/new", {
        "title": "", "date": (TODAY - timedelta(days=7)).isoformat(), "start_time": "10:00",
        "duration_minutes": "5", "provider": "link", "join_url": "http://meet.example.org/x",
        "repeat_every": "week", "repeat_count": "60", "book": "Book"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    links = summary_links(html)
    assert set(links) == {"title", "date", "duration_minutes", "join_url", "repeat_count"}
    assert "This date has passed" in beside(html, "date") and "https://" in beside(html, "join_url")
    assert beside(html, "duration_minutes") == "Between 15 and 480 minutes."
    assert "Some of the details need correcting" not in html


def test_a_start_time_the_form_refused_is_not_blamed_on_the_date(auth, booking_world):
    facilitator, group = booking_world
    auth.login(facilitator)
    response = auth.post(f"/groups/{group.id}/sessions/new", {
        "title": "", "date": (TODAY + timedelta(days=7)).isoformat(), "start_time": "25:00",
        "duration_minutes": "90", "provider": "link", "join_url": "https://meet.example.org/x",
        "repeat_every": "", "repeat_count": "1", "book": "Book"})
    assert response.status_code == 422
    assert set(summary_links(response.get_data(as_text=True))) == {"title", "start_time"}


def test_the_reschedule_form_shows_every_problem_at_once(auth, api, booking_world):
    facilitator, group = booking_world
    api.as_user(facilitator)
    booked = api.post("/api/v1/sessions", json={
        "group_id": group.id, "title": "PSL", "starts_at": f"{TODAY + timedelta(days=7)}T10:00:00",
        "duration_minutes": 90, "join_url": "https://meet.example.org/x"}).json
    auth.login(facilitator)
    response = auth.post(f"/sessions/{booked['id']}/reschedule", {
        "title": "", "date": (TODAY + timedelta(days=1100)).isoformat(), "start_time": "10:00",
        "duration_minutes": "1000", "scope": "this", "version": str(booked["version"]), "save": "Save"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert set(summary_links(html)) == {"title", "date", "duration_minutes"}
    assert "up to two years ahead" in beside(html, "date")


def test_the_home_form_shows_every_problem_at_once(auth, make):
    auth.login("admin")
    response = auth.post("/homes/new", {"name": " ", "beds": "-3", "notes": "x" * 5001})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert set(summary_links(html)) == {"name", "beds", "notes"}


def test_the_contact_form_shows_the_forms_and_the_services_problems_together(auth, make):
    auth.login("admin")
    home = make.home(contacts=1)
    taken = home.contacts[0].email
    response = auth.post(f"/homes/{home.id}/contacts/new", {"name": " ", "email": taken.upper(),
                                                            "role": "manager"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert set(summary_links(html)) == {"name", "email"}
    assert "already has a contact with that email" in beside(html, "email")


def test_the_group_form_shows_the_forms_and_the_services_problems_together(auth, make):
    auth.login("admin")
    make.group("West PSL")
    lead = make.user("lead")
    response = auth.post("/groups/new", {"name": "West PSL", "provider": "link",
                                         "default_duration_minutes": "5", "facilitator_ids": [lead.id]})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    links = summary_links(html)
    assert set(links) == {"name", "default_duration_minutes", "facilitator_ids"}
    assert beside(html, "name") == "A group with this name exists."
    assert f"Not facilitators: {lead.id}" in beside(html, "facilitator_ids")
