"""Zoom as its documentation says: waiting-room rows, the list's cut agendas, past instances, the
report API as the fallback, and both forms of the daily create/update limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from integrations.http import JsonHttpClient, RateLimited, Rejected
from integrations.providers.base import MeetingRequest, PastInstance
from integrations.providers.zoom import (
    LIST_AGENDA_LIMIT,
    ZoomProvider,
    ZoomSettings,
    agenda_marker,
    agenda_with_marker,
)
from integrations.tokens import MemoryTokenStore
from tests.support.clock import FakeTime

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"
API = "https://api.zoom.us/v2"
CREATE_URL = f"{API}/users/scheduler-host@example.com/meetings"
MEETING_URL = f"{API}/meetings/85746065432"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
UUID = "/Wk3nJ+9QkuX//r1hT8yZg=="
UUID_IN_PATH = "%252FWk3nJ%252B9QkuX%252F%252Fr1hT8yZg%253D%253D"
DAILY_300 = {"code": 300, "message": "A maximum of 100 meetings can be created/updated for a single user "
                                     "in one day."}


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def add_token(mocked) -> None:
    mocked.post("https://zoom.us/oauth/token", json=fixture("zoom_token.json"))


def listed(**changes) -> dict:
    """A meeting as the host's meeting list shows it."""
    return {"id": 85746065432, "uuid": UUID, "topic": "Quarterly planning review", "type": 2,
            "start_time": "2026-03-10T15:00:00Z", "duration": 60, "join_url": "https://zoom.us/j/85746065432",
            **changes}


def upcoming_url() -> str:
    return f"{CREATE_URL}?type=upcoming&page_size=300"


def participants_url(ref: str) -> str:
    return f"{API}/past_meetings/{ref}/participants?page_size=300"


@pytest.fixture
def zoom(fake_time: FakeTime) -> ZoomProvider:
    http = JsonHttpClient(service="Zoom", sleep=fake_time.sleep, clock=fake_time.clock)
    settings = ZoomSettings("FixtureAccountId", "FixtureClientId", "fixture-secret",
                            "scheduler-host@example.com")
    return ZoomProvider(settings, http=http, token_store=MemoryTokenStore())


def long_named(uid: str = "ses_7f3a9c") -> MeetingRequest:
    """A session whose agenda is longer than the 250 characters Zoom's meeting list keeps."""
    agenda = ("Peer Support and Learning session of The North Lanarkshire, East Dunbartonshire and "
              "Inverclyde Care Home Managers' and Deputy Managers' Peer Support and Learning Network "
              "(West of Scotland Partnership for Residential and Nursing Care). Care homes join through "
              "the link in their invitation.")
    assert len(agenda) > LIST_AGENDA_LIMIT
    start = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
    return MeetingRequest(uid=uid, topic="Quarterly planning review", start=start, duration_minutes=60,
                          timezone="Europe/Berlin", agenda=agenda)


# --- 1. waiting room ---------------------------------------------------------------------------


def test_waiting_room_rows_are_not_attendance(mocked, zoom):
    add_token(mocked)
    page = fixture("zoom_participants_page2.json")
    waiting = {**page["participants"][0], "user_id": "16780100", "join_time": "2026-03-10T15:20:05Z",
               "leave_time": "2026-03-10T15:24:40Z", "duration": 275, "status": "in_waiting_room"}
    page["participants"].insert(0, waiting)
    mocked.get(participants_url(UUID_IN_PATH), json=page)

    rows = zoom.fetch_attendance("85746065432", instance_uuid=UUID)

    assert [(r.name, r.intervals[0].joined_at.minute) for r in rows] == [("Dana Attendee", 24),
                                                                         ("Guest (phone)", 5)]


# --- 2. the list cuts agendas to 250 characters ------------------------------------------------


def test_the_marker_comes_first_so_the_list_keeps_it():
    agenda = agenda_with_marker(long_named().agenda, "ses_7f3a9c")

    assert agenda.startswith(agenda_marker("ses_7f3a9c"))
    assert agenda_marker("ses_7f3a9c") in agenda[:LIST_AGENDA_LIMIT]
    assert agenda.endswith("their invitation.")


def test_a_candidate_whose_listed_agenda_is_cut_is_fetched_before_deciding(mocked, zoom):
    """A meeting made before the marker moved first: its marker is past the list's 250 characters."""
    add_token(mocked)
    old_style = f"{long_named().agenda}\n\n{agenda_marker('ses_7f3a9c')}"
    mocked.get(upcoming_url(), json={"meetings": [listed(agenda=old_style[:LIST_AGENDA_LIMIT])]})
    mocked.get(MEETING_URL, json={**fixture("zoom_create_meeting_response.json"), "agenda": old_style})

    found = zoom.find_existing(long_named())

    assert found is not None and found.meeting_id == "85746065432"


def test_a_lookalike_whose_whole_agenda_is_listed_is_not_fetched(mocked, zoom):
    add_token(mocked)
    mocked.get(upcoming_url(), json={"meetings": [listed(agenda="Someone else's meeting.")]})

    assert zoom.find_existing(long_named()) is None
    assert [c.request.method for c in mocked.calls] == ["POST", "GET"]  # the token, the list


# --- 3. every instance -------------------------------------------------------------------------


def test_past_instances_lists_every_ended_instance(mocked, zoom):
    add_token(mocked)
    instances = {"meetings": [{"uuid": UUID, "start_time": "2026-03-10T14:58:02Z"},
                              {"uuid": "Xq8bT2Lk", "start_time": "2026-03-10T15:31:40Z"}]}
    mocked.get(f"{API}/past_meetings/85746065432/instances", json=instances)

    assert zoom.past_instances("85746065432") == [
        PastInstance(UUID, datetime(2026, 3, 10, 14, 58, 2, tzinfo=UTC)),
        PastInstance("Xq8bT2Lk", datetime(2026, 3, 10, 15, 31, 40, tzinfo=UTC))]


# --- 7. the report API when the past-meeting endpoint is refused -------------------------------


def report_url(ref: str) -> str:
    return f"{API}/report/meetings/{ref}/participants?page_size=300"


def test_the_report_api_is_the_fallback_when_past_participants_are_refused(mocked, zoom):
    add_token(mocked)
    refused = {"code": 200, "message": "Only available for paid account."}
    mocked.get(participants_url(UUID_IN_PATH), json=refused, status=400)
    report = fixture("zoom_participants_page2.json")
    for row in report["participants"]:
        row.update(customer_key="", bo_mtg_id="", participant_user_id=row["id"])
        del row["internal_user"]
    mocked.get(report_url(UUID_IN_PATH), json=report)

    rows = zoom.fetch_attendance("85746065432", instance_uuid=UUID)

    assert [r.name for r in rows] == ["Dana Attendee", "Guest (phone)"]


def test_a_meeting_not_ended_yet_is_not_looked_up_in_reports(mocked, zoom):
    add_token(mocked)
    mocked.get(participants_url(UUID_IN_PATH), json=fixture("zoom_meeting_not_found.json"), status=404)

    with pytest.raises(Exception, match="could not find"):
        zoom.fetch_attendance("85746065432", instance_uuid=UUID)
    assert len(mocked.calls) == 2


# --- 4. daily limits ---------------------------------------------------------------------------


def test_the_daily_limit_is_known_by_its_header_not_its_wording(mocked, zoom, fake_time):
    add_token(mocked)
    body = {"code": 429, "message": "Too many requests."}
    mocked.post(CREATE_URL, json=body, status=429, headers={"X-RateLimit-Type": "Daily-limit"})

    with pytest.raises(RateLimited) as caught:
        zoom.create(long_named())

    assert caught.value.daily_limit is True
    assert fake_time.sleeps == []  # tomorrow will not come sooner for retrying now


def test_a_per_second_limit_that_mentions_the_day_is_not_the_daily_limit(mocked, zoom):
    add_token(mocked)
    body = {"code": 429, "message": "You have reached the maximum per-second rate limit today."}
    headers = {"X-RateLimit-Type": "QPS", "Retry-After": "2026-03-02T09:00:01Z"}
    mocked.post(CREATE_URL, json=body, status=429, headers=headers)
    mocked.post(CREATE_URL, json=fixture("zoom_create_meeting_response.json"), status=201)

    assert zoom.create(long_named()).meeting_id == "85746065432"


@pytest.mark.parametrize("method", ["create", "update"])
def test_http_300_maximum_meetings_a_day_is_the_daily_limit(mocked, zoom, fake_time, method):
    add_token(mocked)
    if method == "create":
        mocked.post(CREATE_URL, json=DAILY_300, status=300)
    else:
        mocked.patch(MEETING_URL, json=DAILY_300, status=300)

    with pytest.raises(RateLimited) as caught:
        zoom.create(long_named()) if method == "create" else zoom.update("85746065432", long_named())

    assert caught.value.daily_limit is True and caught.value.status == 300
    assert fake_time.sleeps == []


def test_other_http_300_answers_are_refusals(mocked, zoom):
    add_token(mocked)
    body = {"code": 300, "message": "Invalid enforce_login_domains, separate multiple domains by semicolon."}
    mocked.patch(MEETING_URL, json=body, status=300)

    with pytest.raises(Rejected) as caught:
        zoom.update("85746065432", long_named())

    assert "enforce_login_domains" in caught.value.message
    assert json.loads(mocked.calls[1].request.body)["agenda"].startswith("[facilitator:")
