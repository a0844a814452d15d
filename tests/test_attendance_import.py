"""Importing a register from Zoom and Teams through the real provider clients (HTTP mocked with
``responses``): paging, merging rejoins, matching, the unmatched queue and what it teaches,
entries people typed, failures that write nothing and are retried, and the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import responses

from facilitator.admin import services as admin_services
from facilitator.admin.services import ContactData
from facilitator.attendance import worker
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models import Membership
from facilitator.models.attendance import (
    AttendanceAlias,
    AttendanceImport,
    AttendanceParticipant,
    AttendanceRegister,
    LiveInterval,
)
from tests.support.attendance import (
    AFTER,
    GRAPH_CONFIG,
    GRAPH_ORGANIZER,
    GRAPH_TOKEN_URL,
    START,
    ZOOM_CONFIG,
    ZOOM_UUID,
    entries,
    fixture,
    no_waiting,
    session_for,
    zoom_instances,
    zoom_page,
    zoom_row,
    zoom_token,
)
from tests.support.factories import Auth, csrf_token

HOST = zoom_row("Host Example", "scheduler-host@example.com", "14:58:02", "16:01:10", "Kp3X", "16778240")
DANA_1 = zoom_row("Dana Attendee", "dana.attendee@example.org", "15:02:31", "15:20:05", "Yb6H", "16779264")
DANA_2 = zoom_row("Dana Attendee", "dana.attendee@example.org", "15:24:40", "16:00:58", "Yb6H", "16780288")
DANA_2_AGAIN = {**DANA_2, "user_id": "16780300"}  # the same interval reported twice
TAIGH = zoom_row("TAIGH NA MÀRA – iPad", "", "15:12:00", "15:50:00", "", "16781000")
KELVIN = zoom_row("Kelvin View iPad", "", "15:00:00", "15:20:00", "", "16781100")
SEONAID = zoom_row("Seònaid (phone)", "", "15:01:00", "15:59:00", "", "16781312")
PAGES = [[HOST, DANA_1], [DANA_2, TAIGH], [DANA_2_AGAIN, KELVIN, SEONAID]]


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=AFTER, **ZOOM_CONFIG, **GRAPH_CONFIG)
    with app.app_context():
        no_waiting()
        yield app


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def world(app, make):
    facilitator = make.user("facilitator", name="Ailsa Fraser")
    homes = {
        "ardenlea": admin_services.create_home("Ardenlea House", "Glasgow", contacts=[
            ContactData("Dana Attendee", "Dana.Attendee@example.org", "manager")]),
        "bellfield": admin_services.create_home("Bellfield Court", "Edinburgh"),
        "kelvin": admin_services.create_home("Kelvin View", "Glasgow"),
        "taigh": admin_services.create_home("Taigh na Mara", "Na h-Eileanan Siar"),
    }
    db.session.commit()
    group = make.group(facilitators=[facilitator], homes=list(homes.values()))
    session = session_for(group)
    return {"facilitator": facilitator, "homes": homes, "group": group, "session": session,
            "token": issue_api_token(facilitator)}


def serve_pages(mocked, pages=PAGES, token: bool = True, started: datetime = START) -> None:
    """The meeting's one instance (started by the host two minutes early), and its pages."""
    if token:
        zoom_token(mocked)
    zoom_instances(mocked, (ZOOM_UUID, started - timedelta(minutes=2)))
    tokens = [None, "tokA", "tokB"][: len(pages)]
    nexts = ["tokA", "tokB", ""][: len(pages) - 1] + [""]
    for page, token_in, token_out in zip(pages, tokens, nexts, strict=True):
        zoom_page(mocked, page, token_in, token_out)


def post_import(app, world, body: Any = None) -> Any:
    db.session.commit()
    return app.test_client().post(f"/api/v1/sessions/{world['session'].id}/attendance/import",
                                  json=body, headers={"Authorization": f"Bearer {world['token']}"})


def get_register(app, world) -> dict[str, Any]:
    db.session.commit()
    response = app.test_client().get(f"/api/v1/sessions/{world['session'].id}/attendance",
                                     headers={"Authorization": f"Bearer {world['token']}"})
    return response.json


def by_name(register: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["home_name"]: e for e in register["entries"]}


def test_three_pages_rejoins_repeated_intervals_unicode_and_no_email(app, world, mocked):
    serve_pages(mocked)
    response = post_import(app, world)
    assert response.status_code == 200, response.json
    assert response.json["state"] == "done" and response.json["unmatched"] == 2
    register = get_register(app, world)
    homes = by_name(register)
    ardenlea = homes["Ardenlea House"]  # two rows + a repeated one, matched by contact email
    figures = (ardenlea["status"], ardenlea["staff_count"], ardenlea["minutes_attended"], ardenlea["source"])
    assert figures == ("present", 1, 53, "zoom")
    assert (homes["Taigh na Mara"]["status"], homes["Taigh na Mara"]["minutes_attended"]) == ("late", 38)
    assert (homes["Kelvin View"]["status"], homes["Kelvin View"]["minutes_attended"]) == ("left_early", 20)
    assert (homes["Bellfield Court"]["status"], homes["Bellfield Court"]["staff_count"]) == ("absent", 0)
    assert sorted(register["unmatched"], key=lambda u: u["name"]) == [
        {"name": "Host Example", "email": "scheduler-host@example.com", "minutes": 63},
        {"name": "Seònaid (phone)", "email": None, "minutes": 58}]
    assert register["version"] == 1
    saved = entries(world["session"])[world["homes"]["ardenlea"].id]
    assert saved.senior_present is True  # Dana is the home's manager
    participants = db.session.scalars(db.select(AttendanceParticipant)).all()
    assert len(participants) == 5  # Dana's three rows are one person


def test_unmatched_then_taught_then_matched_next_time(app, world, mocked, make):
    serve_pages(mocked)
    post_import(app, world)
    client = app.test_client()
    Auth(client, make).login(world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    page = client.get(url).get_data(as_text=True)
    assert "People to place (2)" in page and "Seònaid (phone)" in page
    people = {p.name: p.id for p in db.session.scalars(db.select(AttendanceParticipant))}
    bellfield = world["homes"]["bellfield"].id
    for name, target in (("Seònaid (phone)", f"home:{bellfield}"), ("Host Example", "ignore:facilitator")):
        data = {"csrf_token": csrf_token(page), "participant_id": people[name], "target": target}
        response = client.post(f"{url}/people", data=data)
        assert response.status_code == 302
    after = by_name(get_register(app, world))
    assert after["Bellfield Court"]["status"] == "present" and after["Bellfield Court"]["staff_count"] == 1
    aliases = {(a.kind, a.value): (a.home_id, a.ignored_as)
               for a in db.session.scalars(db.select(AttendanceAlias))}
    assert aliases == {("name", "seonaid phone"): (bellfield, None),
                       ("email", "scheduler-host@example.com"): (None, "facilitator")}
    # The next session: the same people are recognised by themselves.
    world["session"] = session_for(world["group"], starts_at=START + timedelta(days=1))
    app.config["FROZEN_NOW"] = "2026-03-11T17:00:00+00:00"
    later = [[{**row, "join_time": row["join_time"].replace("03-10", "03-11"),
               "leave_time": row["leave_time"].replace("03-10", "03-11")} for row in page] for page in PAGES]
    serve_pages(mocked, later, token=False, started=START + timedelta(days=1))
    response = post_import(app, world)
    assert response.json["unmatched"] == 0
    register = get_register(app, world)
    assert register["unmatched"] == [] and by_name(register)["Bellfield Court"]["status"] == "present"


def test_a_500_mid_pagination_writes_nothing_and_is_retried_later(app, world, mocked):
    zoom_token(mocked)
    zoom_instances(mocked)
    zoom_page(mocked, PAGES[0], None, "tokA")
    zoom_page(mocked, [], "tokA", None, status=500)
    response = post_import(app, world)
    assert response.status_code == 200
    assert response.json["state"] == "queued" and response.json["next_try_at"]
    db.session.expire_all()
    assert db.session.scalars(db.select(AttendanceParticipant)).all() == []
    assert entries(world["session"]) == {}
    assert db.session.scalar(db.select(AttendanceRegister)) is None
    job = db.session.scalar(db.select(AttendanceImport))
    assert (job.state, job.attempts, job.lease_until) == ("queued", 1, None)
    assert "try again" in response.json["message"]
    now = datetime.fromisoformat(AFTER)
    assert job.next_try_at > now
    # Not due yet: the worker leaves it alone.
    assert worker.import_due(now=now).done == 0
    mocked.reset()
    serve_pages(mocked, token=False)
    report = worker.import_due(now=job.next_try_at + timedelta(seconds=1))
    assert (report.done, report.failed) == (1, 0)
    db.session.expire_all()
    assert db.session.scalar(db.select(AttendanceImport.state)) == "done"
    assert entries(world["session"])[world["homes"]["ardenlea"].id].status == "present"


def test_typed_entries_are_not_overwritten_without_asking(app, world, mocked, make):
    db.session.commit()
    typed = [{"home_id": world["homes"]["ardenlea"].id, "status": "absent",
              "comment": "Phoned: short-staffed"}]
    put = app.test_client().put(f"/api/v1/sessions/{world['session'].id}/attendance", json=typed,
                                headers={"Authorization": f"Bearer {world['token']}", "If-Match": '"0"'})
    assert put.status_code == 200
    serve_pages(mocked)
    response = post_import(app, world)
    would = {(c["home_name"], c["field"]): (c["before"], c["after"]) for c in response.json["would_change"]}
    assert would[("Ardenlea House", "status")] == ("absent", "present")
    ardenlea = by_name(get_register(app, world))["Ardenlea House"]
    assert (ardenlea["status"], ardenlea["source"]) == ("absent", "manual")
    assert ardenlea["comment"] == "Phoned: short-staffed"
    # The register shows the proposal; the facilitator takes it with one button.
    client = app.test_client()
    Auth(client, make).login(world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    page = client.get(url).get_data(as_text=True)
    assert "The import found something different" in page
    assert client.post(f"{url}/accept-import", data={"csrf_token": csrf_token(page)}).status_code == 302
    ardenlea = by_name(get_register(app, world))["Ardenlea House"]
    assert (ardenlea["status"], ardenlea["source"]) == ("present", "zoom")
    assert ardenlea["comment"] == "Phoned: short-staffed"  # what people wrote stays


def test_overwrite_manual_replaces_typed_entries(app, world, mocked):
    db.session.commit()
    typed = [{"home_id": world["homes"]["kelvin"].id, "status": "present", "staff_count": 4}]
    app.test_client().put(f"/api/v1/sessions/{world['session'].id}/attendance", json=typed,
                          headers={"Authorization": f"Bearer {world['token']}", "If-Match": '"0"'})
    serve_pages(mocked)
    response = post_import(app, world, {"overwrite_manual": True})
    assert response.json["would_change"] == []
    kelvin = by_name(get_register(app, world))["Kelvin View"]
    assert (kelvin["status"], kelvin["staff_count"], kelvin["source"]) == ("left_early", 1, "zoom")


def test_an_excused_home_stays_excused_when_nobody_came(app, world, mocked):
    db.session.commit()
    typed = [{"home_id": world["homes"]["bellfield"].id, "status": "excused"}]
    app.test_client().put(f"/api/v1/sessions/{world['session'].id}/attendance", json=typed,
                          headers={"Authorization": f"Bearer {world['token']}", "If-Match": '"0"'})
    serve_pages(mocked)
    response = post_import(app, world)
    assert all(c["home_name"] != "Bellfield Court" for c in response.json["would_change"])
    assert by_name(get_register(app, world))["Bellfield Court"]["status"] == "excused"


def test_zoom_returns_nothing_so_the_webhooks_live_record_is_used(app, world, mocked):
    db.session.add(LiveInterval(session_id=world["session"].id, participant_key="p1",
                                provider_user_key="Yb6H", name="Dana Attendee",
                                email="dana.attendee@example.org", joined_at=START + timedelta(minutes=1),
                                left_at=None))
    db.session.commit()
    zoom_token(mocked)
    zoom_instances(mocked)
    zoom_page(mocked, [], None, "")
    assert post_import(app, world).json["state"] == "done"
    ardenlea = by_name(get_register(app, world))["Ardenlea House"]
    assert (ardenlea["status"], ardenlea["minutes_attended"]) == ("present", 59)


def test_a_plain_link_session_has_nothing_to_import(app, world):
    world["session"] = session_for(world["group"], provider="link", starts_at=START - timedelta(days=7))
    response = post_import(app, world)
    assert response.status_code == 422 and "pasted" in response.json["error"]["message"]


def test_the_import_button_reports_what_happened(app, world, mocked, make):
    serve_pages(mocked)
    client = app.test_client()
    Auth(client, make).login(world["facilitator"])
    url = f"/sessions/{world['session'].id}/register"
    page = client.get(url).get_data(as_text=True)
    response = client.post(f"{url}/import", data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Import: 5 people seen, 3 matched to homes; 2 still to assign." in text
    assert "53 minutes in the meeting" in text


# Teams -----------------------------------------------------------------------------------------

GRAPH_MEETING = fixture("graph_online_meeting.json")["id"]
REPORTS_URL = (f"https://graph.microsoft.com/v1.0/users/{GRAPH_ORGANIZER}/onlineMeetings/{GRAPH_MEETING}"
               "/attendanceReports")


def teams_session(world) -> Any:
    return session_for(world["group"], provider="teams", meeting_id=GRAPH_MEETING,
                       starts_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


def test_teams_reports_every_page_and_intervals(app, world, mocked):
    contact = world["homes"]["ardenlea"].contacts[0]
    contact.email = "dana.attendee@contoso.example"
    db.session.commit()
    world["session"] = teams_session(world)
    reports = fixture("graph_attendance_reports.json")
    reports["value"][1]["meetingStartDateTime"] = "2026-03-10T14:31:00Z"  # ended and started again
    first_page = fixture("graph_attendance_records.json")
    late = {**first_page["value"][2], "id": "k-late", "emailAddress": None,
            "identity": {"id": "k-late", "displayName": "Kelvin View tablet"},
            "attendanceIntervals": [{"joinDateTime": "2026-03-10T14:30:00Z",
                                     "leaveDateTime": "2026-03-10T14:40:00Z", "durationInSeconds": 600}]}
    mocked.post(GRAPH_TOKEN_URL, json=fixture("graph_token.json"))
    mocked.get(REPORTS_URL, json=reports)
    mocked.get(f"{REPORTS_URL}/{reports['value'][0]['id']}/attendanceRecords", json=first_page)
    mocked.get(first_page["@odata.nextLink"], json={"value": [late]})
    mocked.get(f"{REPORTS_URL}/{reports['value'][1]['id']}/attendanceRecords", json={"value": []})
    response = post_import(app, world)
    assert response.json["state"] == "done", response.json
    homes = by_name(get_register(app, world))
    assert (homes["Ardenlea House"]["status"], homes["Ardenlea House"]["minutes_attended"],
            homes["Ardenlea House"]["source"]) == ("present", 53, "teams")
    assert (homes["Kelvin View"]["status"], homes["Kelvin View"]["minutes_attended"]) == ("left_early", 10)
    names = {u["name"] for u in get_register(app, world)["unmatched"]}
    assert names == {"Organizer Example", "Guest Caller"}


def test_teams_without_the_permission_names_it(app, world, mocked, make):
    world["session"] = teams_session(world)
    mocked.post(GRAPH_TOKEN_URL, json=fixture("graph_token.json"))
    denied = {"error": {"code": "Forbidden", "message": "Insufficient privileges"}}
    mocked.get(REPORTS_URL, json=denied, status=403)
    response = post_import(app, world)
    assert response.json["state"] == "failed"
    assert "OnlineMeetingArtifact.Read.All" in response.json["message"]
    assert entries(world["session"]) == {}
    job = db.session.scalar(db.select(AttendanceImport))
    assert job.state == "failed" and "OnlineMeetingArtifact.Read.All" in job.last_error
    client = app.test_client()
    Auth(client, make).login(world["facilitator"])
    page = client.get(f"/sessions/{world['session'].id}/register").get_data(as_text=True)
    assert "The import failed" in page and "OnlineMeetingArtifact.Read.All" in page


def test_a_provider_that_is_not_connected_fails_with_a_reason(make_app, make):
    app = make_app(FROZEN_NOW=AFTER)  # no Zoom credentials
    with app.app_context():
        facilitator = make.user("facilitator")
        group = make.group(facilitators=[facilitator], homes=[make.home()])
        session = session_for(group)
        outcome = worker.import_now(session, user=facilitator)
        assert outcome.state == "failed" and "Zoom is not connected" in outcome.message


# The worker ------------------------------------------------------------------------------------

def test_the_worker_queues_sessions_that_ended_and_imports_them(app, world, mocked):
    zoom_earlier = session_for(world["group"], starts_at=START - timedelta(days=30))  # too long ago
    link = session_for(world["group"], provider="link", starts_at=START - timedelta(hours=3))
    serve_pages(mocked)
    now = datetime.fromisoformat(AFTER)
    report = worker.import_due(now=now)
    assert (report.queued, report.done) == (1, 1)
    queued = set(db.session.scalars(db.select(AttendanceImport.session_id)))
    assert queued == {world["session"].id} and not {zoom_earlier.id, link.id} & queued
    assert worker.import_due(now=now).queued == 0  # once only


def test_a_cli_pass(app, world, mocked):
    serve_pages(mocked)
    result = app.test_cli_runner().invoke(args=["attendance", "import-due"])
    assert result.exit_code == 0, result.output
    assert "1 queued, 1 imported, 0 to retry, 0 failed" in result.output


def test_a_home_that_left_before_the_session_is_not_on_it(app, world, mocked):
    membership = db.session.scalar(db.select(Membership).where(
        Membership.home_id == world["homes"]["bellfield"].id))
    membership.left_on = START.date()
    db.session.commit()
    serve_pages(mocked)
    post_import(app, world)
    assert "Bellfield Court" not in by_name(get_register(app, world))
