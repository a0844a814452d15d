"""The register: who is on it, saving it over the API and on the screen, all or nothing, and two
people saving at once (on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest

from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models import CareHome, Membership, User
from facilitator.models.attendance import AttendanceRevision
from facilitator.models.invites import JoinRecord
from tests.support.attendance import AFTER, START, entries, form_data, session_for
from tests.support.factories import Auth, Factory

ENTRY_KEYS = {"home_id", "home_name", "status", "staff_count", "engagement", "minutes_attended", "source",
              "comment", "apology", "paused"}


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=AFTER)
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make):
    facilitator = make.user("facilitator", name="Ailsa Fraser")
    homes = [make.home(n) for n in ("Ardenlea House", "Bellfield Court", "Craigmhor Care Home")]
    group = make.group(facilitators=[facilitator], homes=homes[:2], joined_on=date(2026, 1, 5))
    # Craigmhor joins after the session's date, so it is not on this register.
    db.session.add(Membership(group_id=group.id, home_id=homes[2].id, joined_on=date(2026, 3, 11)))
    db.session.commit()
    session = session_for(group)
    return {"facilitator": facilitator, "homes": homes, "group": group, "session": session,
            "token": issue_api_token(facilitator), "url": f"/api/v1/sessions/{session.id}/attendance"}


def call(app, method: str, url: str, token: str, json: Any = None, version: int | str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"' if isinstance(version, int) else version
    db.session.commit()
    return app.test_client().open(url, method=method, json=json, headers=headers)


def rows(world, *statuses: str, **extra: Any) -> list[dict[str, Any]]:
    return [{"home_id": home.id, "status": status, **extra} for home, status in zip(world["homes"], statuses,
                                                                                       strict=False)]


def test_get_lists_every_member_home_in_the_documented_shape(app, world):
    response = call(app, "GET", world["url"], world["token"])
    assert response.status_code == 200
    body = response.json
    assert set(body) == {"version", "entries", "unmatched"}
    assert body["version"] == 0 and response.headers["ETag"] == '"0"'
    assert [e["home_name"] for e in body["entries"]] == ["Ardenlea House", "Bellfield Court"]
    assert all(set(e) == ENTRY_KEYS for e in body["entries"])
    assert body["entries"][0]["status"] is None and body["unmatched"] == []
    assert [(e["apology"], e["paused"]) for e in body["entries"]] == [(None, False)] * 2


def test_put_saves_all_rows_and_raises_the_version(app, world):
    body = [{"home_id": world["homes"][0].id, "status": "present", "staff_count": 3, "engagement": 4,
             "comment": "Brought a care plan example"},
            {"home_id": world["homes"][1].id, "status": "excused"}]
    response = call(app, "PUT", world["url"], world["token"], body, version=0)
    assert response.status_code == 200, response.json
    assert response.json["version"] == 1 and response.headers["ETag"] == '"1"'
    first = response.json["entries"][0]
    figures = (first["status"], first["staff_count"], first["engagement"], first["source"], first["comment"])
    assert figures == ("present", 3, 4, "manual", "Brought a care plan example")
    saved = entries(world["session"])[world["homes"][0].id]
    assert saved.recorded_by_id == world["facilitator"].id
    assert db.session.scalar(db.select(AttendanceRevision.version)) == 1


@pytest.mark.parametrize(("row", "field"), [
    ({"home_id": "other", "status": "present"}, "[1].home_id"),  # a home not in the group
    ({"status": "present", "staff_count": -1}, "[1].staff_count"),
    ({"status": "here"}, "[1].status"),
    ({"status": "absent", "staff_count": 2}, "[1].staff_count"),
    ({"status": "present", "engagement": 5}, "[1].engagement"),
    ({"status": "present", "comment": "x" * 281}, "[1].comment"),
    ({"status": "present", "comment": "bad\x07bell"}, "[1].comment"),  # (NUL: 400 for the whole app)
    ({"status": "present", "surprise": 1}, "[1].surprise"),
])
def test_a_bad_row_is_named_and_nothing_is_saved(app, world, row, field):
    home_id = world["homes"][1].id
    if row.get("home_id") == "other":
        row = {**row, "home_id": world["homes"][2].id}
    body = [{"home_id": world["homes"][0].id, "status": "present"}, {"home_id": home_id, **row}]
    response = call(app, "PUT", world["url"], world["token"], body, version=0)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"], response.json
    assert entries(world["session"]) == {}


def test_a_home_listed_twice_is_refused(app, world):
    body = rows(world, "present") * 2
    response = call(app, "PUT", world["url"], world["token"], body, version=0)
    assert response.status_code == 422 and "[1].home_id" in response.json["error"]["fields"]


def test_put_needs_the_version_it_started_from(app, world):
    response = call(app, "PUT", world["url"], world["token"], rows(world, "present"))
    assert response.status_code == 422
    assert "If-Match" in response.json["error"]["fields"]


@pytest.mark.parametrize("version", ['"2147483648"', '"99999999999999999999"', '"١"', '"-1"', "W/x"])
def test_a_version_that_cannot_be_one_is_a_clear_refusal(app, world, version):
    response = call(app, "PUT", world["url"], world["token"], rows(world, "present"), version=version)
    assert response.status_code == 422
    assert "If-Match" in response.json["error"]["fields"]


def test_a_save_from_an_older_version_is_a_conflict_naming_what_changed(app, world, make):
    other = make.user("facilitator", name="Callum Reid")
    world["group"].facilitators.append(other)
    db.session.commit()
    first = call(app, "PUT", world["url"], world["token"], rows(world, "present", "late"), version=0)
    assert first.status_code == 200
    mine = [{"home_id": world["homes"][1].id, "status": "absent"}]
    second = call(app, "PUT", world["url"], issue_api_token(other), mine, version=0)
    assert second.status_code == 409
    assert second.headers["ETag"] == '"1"'
    fields = second.json["error"]["fields"]
    assert "Ailsa Fraser" in second.json["error"]["message"]
    assert "late" in fields["[0].status"]  # the conflicting row of the caller's body
    assert any(key.startswith(f"home_id={world['homes'][0].id}.") for key in fields)  # and the other change
    assert entries(world["session"])[world["homes"][1].id].status == "late"  # nothing of theirs saved
    again = call(app, "PUT", world["url"], issue_api_token(other), mine, version=1)
    assert again.status_code == 200 and again.json["version"] == 2


@pytest.mark.real_commits  # two threads
@pytest.mark.parametrize("starting_version", [0, 1])
def test_two_saves_at_the_same_moment_one_wins_one_conflicts(app, world, starting_version):
    if starting_version:
        call(app, "PUT", world["url"], world["token"], rows(world, "present"), version=0)
    tokens = [world["token"], issue_api_token(world["facilitator"])]
    bodies = [rows(world, "late", "late"), rows(world, "absent", "absent")]
    url = world["url"]
    db.session.commit()
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def save(token: str, body: list[dict[str, Any]]) -> None:
        try:
            client = app.test_client()
            barrier.wait()
            headers = {"Authorization": f"Bearer {token}", "If-Match": f'"{starting_version}"'}
            results.append(client.put(url, json=body, headers=headers).status_code)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=pair) for pair in zip(tokens, bodies, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [200, 409]
    db.session.expire_all()
    saved = {e.status for e in entries(world["session"]).values()}
    assert len(saved) == 1  # one person's register, whole: never a mix of both
    versions = db.session.scalars(db.select(AttendanceRevision.version)).all()
    assert sorted(versions) == list(range(1, starting_version + 2))


def test_only_the_groups_facilitators_and_admins_take_it_and_leads_read_it(app, world, make):
    stranger = issue_api_token(make.user("facilitator"))
    assert call(app, "GET", world["url"], stranger).status_code == 403
    assert call(app, "PUT", world["url"], stranger, rows(world, "present"), version=0).status_code == 403
    lead = issue_api_token(make.user("lead"))
    assert call(app, "GET", world["url"], lead).status_code == 200
    admin = issue_api_token(make.user("admin"))
    assert call(app, "PUT", world["url"], admin, rows(world, "present"), version=0).status_code == 200


def test_no_register_before_the_start_or_for_a_cancelled_session(app, world):
    later = session_for(world["group"], starts_at=START + timedelta(days=7))
    cancelled = session_for(world["group"], starts_at=START - timedelta(days=7), status="cancelled")
    for session in (later, cancelled):
        url = f"/api/v1/sessions/{session.id}/attendance"
        assert call(app, "PUT", url, world["token"], rows(world, "present"), version=0).status_code == 422


# The screen ---------------------------------------------------------------------------------

def signed_in(app, make: Factory, user: User) -> Any:
    client = app.test_client()
    Auth(client, make).login(user)
    return client


def test_the_screen_saves_the_register(app, world, make):
    client = signed_in(app, make, world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    html = client.get(url).get_data(as_text=True)
    assert "Ardenlea House" in html and "Bellfield Court" in html and "Craigmhor" not in html
    assert "Led or brought an example from their home" in html
    response = client.post(url, data=form_data(html, {"rows-0-status": "present", "rows-0-staff_count": "2",
                                                      "rows-0-engagement": "3", "rows-1-status": "absent"}))
    assert response.status_code == 302
    saved = entries(world["session"])
    assert saved[world["homes"][0].id].engagement == 3 and saved[world["homes"][1].id].status == "absent"
    assert "Saved" in client.get(url).get_data(as_text=True)


def test_the_screen_shows_a_bad_line_next_to_its_field(app, world, make):
    client = signed_in(app, make, world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data=form_data(html, {"rows-1-status": "absent", "rows-1-staff_count": "4"}))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="rows-1-staff_count-error"' in page and "absent or excused" in page
    assert entries(world["session"]) == {}


@pytest.mark.parametrize("version", ["2147483648", "99999999999999999999", "١", "-1"])
def test_the_screen_refuses_a_version_above_the_column(app, world, make, version):
    client = signed_in(app, make, world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data=form_data(html, {"rows-0-status": "present", "version": version}))
    assert response.status_code == 422
    assert "Reload the register and try again." in response.get_data(as_text=True)
    assert entries(world["session"]) == {}


@pytest.mark.parametrize("home_id", ["2147483648", "١", "0"])
def test_the_screen_refuses_a_home_id_no_row_can_have(app, world, make, home_id):
    client = signed_in(app, make, world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    html = client.get(url).get_data(as_text=True)
    response = client.post(url, data=form_data(html, {"rows-0-status": "present", "rows-0-home_id": home_id}))
    assert response.status_code == 422
    assert entries(world["session"]) == {}


def test_the_screen_shows_a_conflict_and_keeps_what_was_typed(app, world, make):
    client = signed_in(app, make, world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    html = client.get(url).get_data(as_text=True)
    assert call(app, "PUT", world["url"], world["token"], rows(world, "late"), version=0).status_code == 200
    response = client.post(url, data=form_data(html, {"rows-0-status": "present", "rows-0-comment": "Mine"}))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else saved this register" in page and "status changed from nothing to late" in page
    assert 'value="Mine"' in page  # what I typed is still there
    assert '<input id="version" name="version" type="hidden" value="1">' in page
    assert entries(world["session"])[world["homes"][0].id].status == "late"


def test_a_lead_sees_the_register_but_cannot_change_it(app, world, make):
    client = signed_in(app, make, make.user("lead"))
    page = client.get(f"/sessions/{world['session'].id}/register").get_data(as_text=True)
    assert "Ardenlea House" in page and "Save register" not in page and "disabled" in page


def test_a_join_link_counts_only_once_the_facilitator_confirms_it(app, world, make):
    home: CareHome = world["homes"][1]
    db.session.add(JoinRecord(session_id=world["session"].id, home_id=home.id, contact_id=home.contacts[0].id,
                              joined_at=START - timedelta(minutes=2), user_agent_family="Safari on iPad",
                              in_window=True))
    first = world["homes"][0]  # opened the link a day early: not evidence of attending
    db.session.add(JoinRecord(session_id=world["session"].id, home_id=first.id,
                              contact_id=first.contacts[0].id, joined_at=START - timedelta(days=1),
                              user_agent_family="Outlook", in_window=False))
    db.session.commit()
    client = signed_in(app, make, world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    html = client.get(url).get_data(as_text=True)
    assert html.count("Opened the join link") == 1 and html.count("Confirm present") == 1
    assert "Opened the join link 1 time" in html.split('id="home-' + str(home.id), 1)[1]
    assert entries(world["session"]) == {}
    response = client.post(url, data=form_data(html, {"rows-1-confirm_join": "y"}))
    assert response.status_code == 302
    entry = entries(world["session"])[home.id]
    assert (entry.status, entry.source) == ("present", "join_link")


def test_the_register_list_and_home_page_show_registers_to_take(app, world, make):
    client = signed_in(app, make, world["facilitator"])
    assert "Not taken" in client.get("/registers").get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert "Registers not yet taken" in home and "not taken yet" in home
    call(app, "PUT", world["url"], world["token"], rows(world, "present", "present"), version=0)
    assert "All your registers are taken" in client.get("/").get_data(as_text=True)
