"""Importing a Zoom register as Zoom documents its participants: every instance of the session's
meeting (a meeting ended and started again, say when the host dropped, has one per part), the
same home's overlapping time counted once, waiting-room time never counted, and the participant
report when the past-meeting endpoint is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from facilitator.admin import services as admin_services
from facilitator.admin.services import ContactData
from facilitator.attendance import worker
from facilitator.extensions import db
from facilitator.models.attendance import AttendanceImport
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
    participants_url,
    session_for,
    zoom_instances,
    zoom_page,
    zoom_row,
    zoom_token,
)

SECOND_UUID = "Xq8bT2LkQ0uW7cN2bYvE1g=="  # the instance the host started again after dropping
LAST_WEEK_UUID = "Rt5mW1pZS3eVt0sD4kWzNw=="  # the same meeting a week before: another session


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
    facilitator = make.user("facilitator")
    homes = {"ardenlea": admin_services.create_home("Ardenlea House", "Glasgow", contacts=[
                 ContactData("Dana Attendee", "dana.attendee@example.org", "manager")]),
             "kelvin": admin_services.create_home("Kelvin View", "Glasgow")}
    db.session.commit()
    group = make.group(facilitators=[facilitator], homes=list(homes.values()))
    return {"facilitator": facilitator, "homes": homes, "session": session_for(group)}


def imported(world) -> dict[str, tuple[str, int]]:
    outcome = worker.import_now(world["session"], user=world["facilitator"])
    assert outcome.state == "done", outcome.message
    saved = entries(world["session"])
    return {name: (saved[home.id].status, saved[home.id].minutes_attended)
            for name, home in world["homes"].items()}


def test_every_instance_in_the_sessions_window_is_imported_and_merged(world, mocked):
    zoom_token(mocked)
    zoom_instances(mocked, (LAST_WEEK_UUID, START - timedelta(days=7, minutes=1)),
                   (ZOOM_UUID, START - timedelta(minutes=2)), (SECOND_UUID, START + timedelta(minutes=31)))
    # Dana's two rows overlap by five minutes (she rejoined the restarted meeting before the first
    # part closed): those minutes count once. Kelvin View was only there in the first part.
    zoom_page(mocked, [zoom_row("Dana Attendee", "dana.attendee@example.org", "15:00:00", "15:35:00", "Yb6H"),
                       zoom_row("Kelvin View iPad", "", "15:01:00", "15:29:00", "", "2")], None, "")
    zoom_page(mocked, [zoom_row("Dana Attendee", "dana.attendee@example.org", "15:30:00", "16:00:00", "Yb6H",
                                "3")], None, "", url=participants_url(SECOND_UUID))

    assert imported(world) == {"ardenlea": ("present", 60), "kelvin": ("left_early", 28)}


def test_the_instance_zooms_meeting_ended_named_is_imported_even_before_it_is_listed(world, mocked):
    db.session.add(AttendanceImport(session_id=world["session"].id, created_at=START,
                                    instance_uuid=SECOND_UUID, state="done"))
    db.session.commit()
    zoom_token(mocked)
    zoom_instances(mocked, (ZOOM_UUID, START - timedelta(minutes=2)))
    zoom_page(mocked, [zoom_row("Kelvin View iPad", "", "15:01:00", "15:29:00")], None, "")
    zoom_page(mocked, [zoom_row("Kelvin View iPad", "", "15:31:00", "16:00:00", "", "2")], None, "",
              url=participants_url(SECOND_UUID))

    assert imported(world)["kelvin"] == ("present", 57)


def test_no_instance_in_the_window_yet_is_retried_later(world, mocked):
    zoom_token(mocked)
    zoom_instances(mocked, (LAST_WEEK_UUID, START - timedelta(days=7)))

    outcome = worker.import_now(world["session"], user=world["facilitator"])

    assert outcome.state == "queued" and outcome.next_try_at > datetime.fromisoformat(AFTER)
    assert entries(world["session"]) == {}


def test_waiting_room_time_is_not_attendance_and_admission_is_the_arrival(world, mocked):
    """The waiting room is on by default: a home admitted 20 minutes in is late, with 40 minutes."""
    zoom_token(mocked)
    zoom_instances(mocked)
    waiting = {**zoom_row("Kelvin View iPad", "", "14:59:00", "15:20:00", "", "5"),
               "status": "in_waiting_room"}
    zoom_page(mocked, [waiting, zoom_row("Kelvin View iPad", "", "15:20:00", "16:00:00", "", "6")], None, "")

    assert imported(world)["kelvin"] == ("late", 40)


def test_the_participant_report_stands_in_when_the_plan_refuses_past_participants(world, mocked):
    zoom_token(mocked)
    zoom_instances(mocked)
    refused = {"code": 200, "message": "Only available for paid account."}
    mocked.get(participants_url(), json=refused, status=400)
    row = {**zoom_row("Dana Attendee", "dana.attendee@example.org", "15:00:00", "16:00:00", "Yb6H"),
           "customer_key": "", "bo_mtg_id": "", "participant_user_id": "Yb6H"}
    zoom_page(mocked, [row], None, "", url=participants_url(api="report/meetings"))

    assert imported(world)["ardenlea"] == ("present", 60)


def test_a_teams_report_of_a_later_session_is_not_this_sessions(world, mocked):
    """Teams makes a report each time the meeting ends; one begun after the session is not its."""
    meeting = fixture("graph_online_meeting.json")["id"]
    world["session"] = session_for(world["session"].group, provider="teams", meeting_id=meeting,
                                   starts_at=datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    reports_url = (f"https://graph.microsoft.com/v1.0/users/{GRAPH_ORGANIZER}/onlineMeetings/{meeting}"
                   "/attendanceReports")
    reports = fixture("graph_attendance_reports.json")  # 13:58–15:01, then 15:20–15:24
    mocked.post(GRAPH_TOKEN_URL, json=fixture("graph_token.json"))
    mocked.get(reports_url, json=reports)
    records = fixture("graph_attendance_records.json")
    del records["@odata.nextLink"]
    mocked.get(f"{reports_url}/{reports['value'][0]['id']}/attendanceRecords", json=records)

    assert imported(world)["ardenlea"] == ("absent", 0)  # Dana's address here is another one
