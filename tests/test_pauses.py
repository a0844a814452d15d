"""A home's pauses (issue 18): the API (add, list, end today, roles and the 422s naming each
field), what a pause does to a home's engagement, and the staff form on the home's page. The clock
is frozen at 10 March 2026 (a Tuesday)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models.attendance import AttendanceEntry
from facilitator.models.engagement import HomePause
from tests.support.attendance import session_for
from tests.support.factories import csrf_token
from tests.test_all_errors_at_once import beside

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
BODY = {"from": "2026-03-20", "to": "2026-03-31", "reason": "outbreak", "note": "Norovirus on one floor"}


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=NOW.isoformat(), MAIL_BACKEND="memory")
    with app.app_context():
        yield app


@pytest.fixture
def world(make):
    facilitator, stranger = make.user("facilitator"), make.user("facilitator")
    home, other = make.home("Ardenlea House"), make.home("Bellfield Court")
    group = make.group("West PSL", facilitators=[facilitator], homes=[home], joined_on=date(2026, 1, 5))
    make.group("East PSL", facilitators=[stranger], homes=[other])
    return {"facilitator": facilitator, "stranger": stranger, "home": home, "other": other, "group": group}


def pauses_of(home) -> list[HomePause]:
    db.session.rollback()
    return list(db.session.scalars(select(HomePause).where(HomePause.home_id == home.id)))


def added(api, home, **body) -> dict:
    response = api.post(f"/api/v1/homes/{home.id}/pauses", json={**BODY, **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# The API ---------------------------------------------------------------------------------------

def test_a_facilitator_pauses_their_home_and_everyone_who_reads_sees_it(app, api, make, world):
    home = world["home"]
    api.as_user(world["facilitator"])
    pause = added(api, home)
    assert {k: pause[k] for k in ("home_id", "from", "to", "reason", "note", "ended_early_at")} == {
        "home_id": home.id, "from": "2026-03-20", "to": "2026-03-31", "reason": "outbreak",
        "note": "Norovirus on one floor", "ended_early_at": None}
    assert pause["created_at"].startswith("2026-03-10T12:00:00")
    (row,) = pauses_of(home)
    assert (row.id, row.created_by_id) == (pause["id"], world["facilitator"].id)
    for reader in (world["facilitator"], make.user("lead"), make.user("admin")):
        api.as_user(reader)
        listed = api.get(f"/api/v1/homes/{home.id}/pauses")
        assert listed.status_code == 200 and listed.get_json() == {"pauses": [pause]}


def test_who_may_add_end_and_read_a_pause(app, api, make, world):
    home = world["home"]
    api.token = None
    assert api.post(f"/api/v1/homes/{home.id}/pauses", json=BODY).status_code == 401
    assert api.get(f"/api/v1/homes/{home.id}/pauses").status_code == 401
    api.as_user("lead")
    assert api.post(f"/api/v1/homes/{home.id}/pauses", json=BODY).status_code == 403
    api.as_user(world["stranger"])  # facilitates another group only
    assert api.post(f"/api/v1/homes/{home.id}/pauses", json=BODY).status_code == 403
    assert api.get(f"/api/v1/homes/{home.id}/pauses").status_code == 403
    api.as_user("admin")
    pause = added(api, home)
    for user in (world["stranger"], make.user("lead")):
        api.as_user(user)
        assert api.delete(f"/api/v1/pauses/{pause['id']}").status_code == 403
    assert len(pauses_of(home)) == 1
    api.as_user(world["facilitator"])
    assert api.delete(f"/api/v1/pauses/{pause['id']}").status_code == 204  # not started: removed
    assert api.delete(f"/api/v1/pauses/{pause['id']}").status_code == 404


@pytest.mark.parametrize(("body", "fields"), [
    ({"from": "2026-03-31", "to": "2026-03-20"}, {"to"}),
    ({"reason": "holiday"}, {"reason"}),
    ({"from": None, "to": None}, {"from", "to"}),
    ({"from": None, "reason": None, "note": "x\x07"}, {"from", "reason", "note"}),
    ({"to": "2126-01-01"}, {"to"}),
    ({"from": "not a date"}, {"from"}),
    ({"extra": 1}, {"extra"}),
])
def test_a_refused_pause_names_every_field_and_saves_nothing(app, api, world, body, fields):
    api.as_user(world["facilitator"])
    response = api.post(f"/api/v1/homes/{world['home'].id}/pauses",
                        json={k: v for k, v in {**BODY, **body}.items() if v is not None})
    assert response.status_code == 422, response.get_json()
    assert set(response.get_json()["error"]["fields"]) == fields
    assert pauses_of(world["home"]) == []


def test_a_pause_may_not_overlap_another_of_the_home(app, api, world):
    api.as_user(world["facilitator"])
    added(api, world["home"])
    response = api.post(f"/api/v1/homes/{world['home'].id}/pauses",
                        json={**BODY, "from": "2026-03-31", "to": "2026-04-05", "reason": "inspection"})
    assert response.status_code == 422
    assert "overlaps the home's pause from 20 March 2026 to 31 March 2026" in \
        response.get_json()["error"]["fields"]["from"]
    added(api, world["home"], **{"from": "2026-04-01", "to": "2026-04-05"})  # the day after: no overlap
    assert len(pauses_of(world["home"])) == 2


def test_ending_a_started_pause_ends_it_today_and_one_already_over_is_a_conflict(app, api, world):
    api.as_user(world["facilitator"])
    started = added(api, world["home"], **{"from": "2026-03-02", "to": "2026-03-31"})
    response = api.delete(f"/api/v1/pauses/{started['id']}")
    assert response.status_code == 200, response.get_json()
    ended = response.get_json()
    assert (ended["from"], ended["to"]) == ("2026-03-02", TODAY.isoformat())
    assert ended["ended_early_at"].startswith("2026-03-10T12:00:00")
    (row,) = pauses_of(world["home"])
    assert (row.ends_on, row.ended_early_at) == (TODAY, NOW)
    over = added(api, world["home"], **{"from": "2026-02-01", "to": "2026-02-10"})
    response = api.delete(f"/api/v1/pauses/{over['id']}")
    assert response.status_code == 409
    assert "ended on 10 February 2026" in response.get_json()["error"]["message"]
    assert db.session.get(HomePause, over["id"]).ends_on == date(2026, 2, 10)


# What a pause does -----------------------------------------------------------------------------

def engagement_of(api, home) -> dict:
    homes = api.get("/api/v1/engagement").get_json()["homes"]
    return next(h for h in homes if h["home_id"] == home.id)


def test_a_pause_takes_its_sessions_out_of_what_the_home_is_expected_at(app, api, make, world):
    """Four weekly sessions, the latest last Thursday; the home came to the first two only."""
    home = world["home"]
    sessions = [session_for(world["group"], starts_at=NOW - timedelta(days=5, weeks=3 - k), provider="link")
                for k in range(4)]
    for session, status in zip(sessions, ("present", "present", "absent", "absent"), strict=True):
        db.session.add(AttendanceEntry(session_id=session.id, home_id=home.id, comment="", status=status,
                                       source="manual"))
    db.session.commit()
    api.as_user("lead")
    before = engagement_of(api, home)
    assert (before["expected"], before["attended"], before["paused"]) == (4, 2, False)
    assert before["status"] != "paused"

    api.as_user(world["facilitator"])
    third_day = sessions[2].starts_at.date()
    pause = added(api, home, **{"from": third_day.isoformat(), "to": (TODAY + timedelta(days=7)).isoformat()})
    api.as_user("lead")
    during = engagement_of(api, home)
    assert (during["expected"], during["attended"]) == (2, 2)  # the two misses were inside the pause
    assert (during["paused"], during["status"]) == (True, "paused")

    api.as_user(world["facilitator"])
    assert api.delete(f"/api/v1/pauses/{pause['id']}").status_code == 200
    api.as_user("lead")
    assert engagement_of(api, home)["status"] == "paused", "it ends today: today is still inside it"


# The staff form --------------------------------------------------------------------------------

def test_the_home_page_adds_and_ends_a_pause(app, auth, client, world):
    home = world["home"]
    auth.login(world["facilitator"])
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert 'id="pauses-heading"' in page and "has not been paused" in page
    response = client.post(f"/homes/{home.id}/pauses/new", data={
        "starts_on": "2026-03-09", "ends_on": "2026-03-20", "reason": "inspection",
        "note": "Care Inspectorate", "csrf_token": csrf_token(page)})
    assert response.status_code == 302, response.get_data(as_text=True)
    (pause,) = pauses_of(home)
    assert (pause.starts_on, pause.ends_on, pause.reason, pause.note) == (
        date(2026, 3, 9), date(2026, 3, 20), "inspection", "Care Inspectorate")
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    row = page.split(f'data-pause-id="{pause.id}"', 1)[1].split("</tr>", 1)[0]
    assert "Current" in row and "9 March 2026 to 20 March 2026" in row and "Inspection" in row
    assert "End today" in row
    assert client.post(f"/pauses/{pause.id}/end").status_code == 400  # CSRF
    response = client.post(f"/pauses/{pause.id}/end", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    (pause,) = pauses_of(home)
    assert (pause.ends_on, pause.ended_early_at) == (TODAY, NOW)
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "The pause ends today, 10 March 2026." in page
    assert "End today" not in page.split(f'data-pause-id="{pause.id}"', 1)[1].split("</tr>", 1)[0]


def test_the_home_page_removes_a_pause_that_has_not_started(app, auth, client, api, world):
    home = world["home"]
    api.as_user(world["facilitator"])
    pause = added(api, home)
    auth.login(world["facilitator"])
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    row = page.split(f'data-pause-id="{pause["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Upcoming" in row and "Cancel this pause" in row and "Norovirus on one floor" in row
    response = client.post(f"/pauses/{pause['id']}/end", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert pauses_of(home) == []
    assert "Removed the pause: it had not started." in client.get(f"/homes/{home.id}").get_data(as_text=True)


def test_the_form_shows_every_problem_at_once_and_saves_nothing(app, auth, client, world):
    home = world["home"]
    auth.login(world["facilitator"])
    page = client.get(f"/homes/{home.id}/pauses/new").get_data(as_text=True)
    response = client.post(f"/homes/{home.id}/pauses/new", data={
        "starts_on": "", "ends_on": "2026-13-01", "reason": "holiday", "note": "x" * 501,
        "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert beside(html, "starts_on") == "Enter a date."
    assert beside(html, "ends_on") == "Not a valid date value."
    assert beside(html, "reason").startswith("Choose one of: outbreak")
    assert beside(html, "note") == "Keep the note to 500 characters."
    assert 'class="error-summary"' in html
    response = client.post(f"/homes/{home.id}/pauses/new", data={
        "starts_on": "2026-03-20", "ends_on": "2026-03-01", "reason": "staffing",
        "csrf_token": csrf_token(page)})
    assert response.status_code == 422
    assert beside(response.get_data(as_text=True), "ends_on") == (
        "The pause must end on or after the day it starts.")
    assert pauses_of(home) == []


def test_only_those_who_manage_the_home_see_the_form_or_may_post_it(app, auth, client, make, world):
    home = world["home"]
    auth.login(world["stranger"])
    form_action = f'action="/homes/{home.id}/pauses/new"'
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert form_action not in page
    assert client.get(f"/homes/{home.id}/pauses/new").status_code == 403
    auth.logout()
    auth.login(make.user("lead"))
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert 'id="pauses-heading"' in page and form_action not in page
