"""Teams provider (Microsoft Graph) against recorded payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests

from integrations.http import (
    AuthError,
    JsonHttpClient,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Rejected,
)
from integrations.providers.base import MeetingRequest, PastInstance
from integrations.providers.teams import AccessPolicyMissing, TeamsProvider, TeamsSettings
from integrations.tokens import MemoryTokenStore
from tests.support.clock import FakeTime

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"
TENANT = "00000000-0000-0000-0000-000000000000"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
ORGANIZER = "5f1c2b7e-3d4a-4e8b-9c0d-1a2b3c4d5e6f"
TOKEN_URL = f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token"
MEETINGS = f"https://graph.microsoft.com/v1.0/users/{ORGANIZER}/onlineMeetings"
CREATE_URL = f"{MEETINGS}/createOrGet"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


MEETING_ID = fixture("graph_online_meeting.json")["id"]
MEETING_URL = f"{MEETINGS}/{MEETING_ID}"
REPORTS_URL = f"{MEETING_URL}/attendanceReports"


@pytest.fixture
def teams(fake_time: FakeTime) -> TeamsProvider:
    http = JsonHttpClient(service="Microsoft Teams", sleep=fake_time.sleep, clock=fake_time.clock)
    settings = TeamsSettings(TENANT, CLIENT_ID, "fixture-secret", ORGANIZER)
    return TeamsProvider(settings, http=http, token_store=MemoryTokenStore())


def a_meeting(**changes) -> MeetingRequest:
    values = {
        "uid": "ses_7f3a9c",
        "topic": "Quarterly planning review",
        "start": datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        "duration_minutes": 60,
        "timezone": "Europe/London",
    }
    return MeetingRequest(**{**values, **changes})


def add_token(mocked, access_token: str | None = None) -> None:
    body = fixture("graph_token.json")
    if access_token:
        body["access_token"] = access_token
    mocked.post(TOKEN_URL, json=body)


def add_created(mocked, status: int = 201, **changes) -> None:
    mocked.post(CREATE_URL, json={**fixture("graph_online_meeting.json"), **changes}, status=status)


def bearer(call) -> str:
    return call.request.headers["Authorization"]


# --- token ---------------------------------------------------------------------------------


def test_one_client_credentials_token_serves_many_creates(mocked, teams):
    add_token(mocked)
    add_created(mocked)
    add_created(mocked, status=200)

    first = teams.create(a_meeting())
    second = teams.create(a_meeting())

    assert first == second
    assert len(mocked.calls) == 3
    form = parse_qs(mocked.calls[0].request.body)
    assert form["grant_type"] == ["client_credentials"]
    assert form["scope"] == ["https://graph.microsoft.com/.default"]
    assert form["client_id"] == [CLIENT_ID]
    assert form["client_secret"] == ["fixture-secret"]
    token = fixture("graph_token.json")["access_token"]
    assert bearer(mocked.calls[2]) == f"Bearer {token}"


def test_401_refetches_the_token_once(mocked, teams):
    add_token(mocked, "stale")
    expired = {"error": {"code": "InvalidAuthenticationToken", "message": "Token expired"}}
    mocked.post(CREATE_URL, json=expired, status=401)
    add_token(mocked, "fresh")
    add_created(mocked)

    teams.create(a_meeting())

    assert bearer(mocked.calls[3]) == "Bearer fresh"


def test_rejected_credentials_are_an_auth_error(mocked, teams):
    error = {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
        "error_codes": [7000215],
    }
    mocked.post(TOKEN_URL, json=error, status=401)

    with pytest.raises(AuthError) as caught:
        teams.create(a_meeting())

    assert "AADSTS7000215" in caught.value.message
    assert caught.value.code == "invalid_client"


def test_token_endpoint_down_is_unavailable(mocked, teams):
    mocked.post(TOKEN_URL, body="<html>oops</html>", status=503)

    with pytest.raises(ProviderUnavailable):
        teams.create(a_meeting())


# --- create / update / delete --------------------------------------------------------------


def test_create_uses_create_or_get_with_our_uid(mocked, teams):
    add_token(mocked)
    add_created(mocked)

    meeting = teams.create(a_meeting())

    body = json.loads(mocked.calls[1].request.body)
    assert body == {
        "externalId": "ses_7f3a9c",
        "subject": "Quarterly planning review",
        "startDateTime": "2026-03-10T14:00:00Z",
        "endDateTime": "2026-03-10T15:00:00Z",
    }
    assert meeting.meeting_id == MEETING_ID
    assert meeting.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    assert meeting.passcode == "Xq9bT2"
    assert meeting.dial_in is None
    assert meeting.host_url is None


def test_join_url_fallback_and_dial_in(mocked, teams):
    add_token(mocked)
    audio = {"tollNumber": "+1 323-555-0166", "conferenceId": "291633251"}
    add_created(mocked, joinWebUrl=None, joinUrl="https://teams.example/join", audioConferencing=audio)

    meeting = teams.create(a_meeting())

    assert meeting.join_url == "https://teams.example/join"
    assert meeting.dial_in == "+1 323-555-0166 (conference ID 291633251)"


def test_read_timeout_on_create_or_get_is_safe_to_repeat(mocked, teams, fake_time):
    add_token(mocked)
    mocked.post(CREATE_URL, body=requests.ReadTimeout("read timed out"))
    add_created(mocked, status=200)

    assert teams.create(a_meeting()).meeting_id == MEETING_ID
    assert len(fake_time.sleeps) == 1


def test_when_every_attempt_times_out_a_later_create_gets_the_same_meeting(mocked, teams, fake_time):
    add_token(mocked)
    for _ in range(3):
        mocked.post(CREATE_URL, body=requests.ReadTimeout("read timed out"))
    add_created(mocked, status=200)

    with pytest.raises(ProviderUnavailable) as caught:
        teams.create(a_meeting())
    assert caught.value.maybe_sent is True
    assert teams.find_existing(a_meeting()) is None  # nothing to search: createOrGet is keyed

    again = teams.create(a_meeting())

    assert again.meeting_id == MEETING_ID
    bodies = [json.loads(c.request.body)["externalId"] for c in mocked.calls[1:]]
    assert bodies == ["ses_7f3a9c"] * 4


@pytest.mark.parametrize(("status", "body"), [(200, "meeting"), (202, None), (204, None)])
def test_update_accepts_any_2xx_as_the_openapi_description_says(mocked, teams, status, body):
    add_token(mocked)
    mocked.patch(MEETING_URL, json=fixture("graph_online_meeting.json") if body else None, status=status)

    assert teams.update(MEETING_ID, a_meeting()) is None


def test_update_sends_start_end_and_subject(mocked, teams):
    add_token(mocked)
    mocked.patch(MEETING_URL, json=fixture("graph_online_meeting.json"))

    teams.update(MEETING_ID, a_meeting(topic="Renamed", duration_minutes=90))

    assert json.loads(mocked.calls[1].request.body) == {
        "subject": "Renamed",
        "startDateTime": "2026-03-10T14:00:00Z",
        "endDateTime": "2026-03-10T15:30:00Z",
    }


def test_delete_and_delete_of_missing_meeting(mocked, teams):
    add_token(mocked)
    mocked.delete(MEETING_URL, status=204)
    missing = {"error": {"code": "NotFound", "message": "Meeting not found"}}
    mocked.delete(MEETING_URL, json=missing, status=404)

    teams.delete(MEETING_ID)
    teams.delete(MEETING_ID)


def test_host_override_is_carried_in_the_meeting_id(mocked, teams):
    other = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    other_meetings = f"https://graph.microsoft.com/v1.0/users/{other}/onlineMeetings"
    add_token(mocked)
    mocked.post(f"{other_meetings}/createOrGet", json=fixture("graph_online_meeting.json"))
    mocked.delete(f"{other_meetings}/{MEETING_ID}", status=204)

    meeting = teams.create(a_meeting(host=other))
    teams.delete(meeting.meeting_id)

    assert meeting.meeting_id == f"{other}|{MEETING_ID}"


# --- errors --------------------------------------------------------------------------------


def test_missing_access_policy_tells_the_admin_what_to_run(mocked, teams):
    add_token(mocked)
    mocked.post(CREATE_URL, json=fixture("graph_403_no_access_policy.json"), status=403)

    with pytest.raises(AccessPolicyMissing) as caught:
        teams.create(a_meeting())

    message = caught.value.message
    assert f"New-CsApplicationAccessPolicy -Identity Facilitator -AppIds {CLIENT_ID}" in message
    assert f"Grant-CsApplicationAccessPolicy -PolicyName Facilitator -Identity {ORGANIZER}" in (message)
    assert "30 minutes" in message
    assert isinstance(caught.value, Rejected)
    assert caught.value.code == "Unauthorized"


def test_other_wording_of_missing_policy(mocked, teams):
    add_token(mocked)
    body = {"error": {"code": "General", "message": "No application access policy found for this app."}}
    mocked.post(CREATE_URL, json=body, status=403)

    with pytest.raises(AccessPolicyMissing):
        teams.create(a_meeting())


def test_other_client_errors_carry_graphs_message(mocked, teams):
    add_token(mocked)
    body = {"error": {"code": "BadRequest", "message": "The end time must be after the start."}}
    mocked.patch(MEETING_URL, json=body, status=400)

    with pytest.raises(Rejected) as caught:
        teams.update(MEETING_ID, a_meeting())

    assert not isinstance(caught.value, AccessPolicyMissing)
    assert "The end time must be after the start." in caught.value.message
    assert caught.value.code == "BadRequest"


def test_throttled_with_long_retry_after_raises_rate_limited(mocked, teams, fake_time):
    add_token(mocked)
    mocked.post(CREATE_URL, json=fixture("graph_429.json"), status=429, headers={"Retry-After": "10"})

    with pytest.raises(RateLimited) as caught:
        teams.create(a_meeting())

    assert caught.value.retry_at == NOW + timedelta(seconds=10)
    assert caught.value.code == "TooManyRequests"
    assert fake_time.sleeps == []


def test_throttled_with_short_retry_after_waits_inline(mocked, teams, fake_time):
    add_token(mocked)
    mocked.post(CREATE_URL, json=fixture("graph_429.json"), status=429, headers={"Retry-After": "2"})
    add_created(mocked)

    assert teams.create(a_meeting()).meeting_id == MEETING_ID
    assert fake_time.sleeps == [2.0]


# --- attendance ----------------------------------------------------------------------------


def test_attendance_reads_every_report_and_follows_next_links(mocked, teams):
    add_token(mocked)
    reports = fixture("graph_attendance_reports.json")
    first_page = fixture("graph_attendance_records.json")
    next_link = first_page["@odata.nextLink"]
    last_record = {**first_page["value"][1], "id": "late", "identity": {"displayName": "Late"}}
    mocked.get(REPORTS_URL, json=reports)
    mocked.get(f"{REPORTS_URL}/{reports['value'][0]['id']}/attendanceRecords", json=first_page)
    mocked.get(next_link, json={"value": [last_record]})
    mocked.get(f"{REPORTS_URL}/{reports['value'][1]['id']}/attendanceRecords", json={"value": []})

    rows = teams.fetch_attendance(MEETING_ID)

    assert [row.name for row in rows] == ["Organizer Example", "Dana Attendee", "Guest Caller", "Late"]
    dana = rows[1]
    assert dana.email == "dana.attendee@contoso.example"
    assert dana.provider_user_key == "8a7b6c5d-4e3f-4a1b-8c9d-0e1f2a3b4c5d"
    assert len(dana.intervals) == 2
    assert dana.intervals[0].joined_at == datetime(2026, 3, 10, 14, 2, 31, 278218, tzinfo=UTC)
    assert dana.intervals[1].left_at == datetime(2026, 3, 10, 15, 0, 58, 138119, tzinfo=UTC)
    assert rows[2].email is None
    assert rows[3].provider_user_key == "late"


def test_past_instances_are_the_reports_with_their_start(mocked, teams):
    add_token(mocked)
    mocked.get(REPORTS_URL, json=fixture("graph_attendance_reports.json"))

    assert teams.past_instances(MEETING_ID) == [
        PastInstance("c9b6db1c-d5eb-427d-a5c0-20088d9b22d7",
                     datetime(2026, 3, 10, 13, 58, 11, 945000, tzinfo=UTC)),
        PastInstance("2c2c2454-7613-4d6e-9c7c-4cf7a6cdce89",
                     datetime(2026, 3, 10, 15, 20, 31, 658000, tzinfo=UTC))]


def test_listing_reports_without_permission_names_it(mocked, teams):
    add_token(mocked)
    mocked.get(REPORTS_URL, json={"error": {"code": "Forbidden", "message": "Insufficient privileges."}},
               status=403)

    with pytest.raises(Rejected, match="OnlineMeetingArtifact.Read.All"):
        teams.past_instances(MEETING_ID)


def test_attendance_of_one_report(mocked, teams):
    add_token(mocked)
    mocked.get(f"{REPORTS_URL}/report-1/attendanceRecords", json={"value": []})

    assert teams.fetch_attendance(MEETING_ID, instance_uuid="report-1") == []


def test_attendance_without_permission_names_it(mocked, teams):
    add_token(mocked)
    denied = {"error": {"code": "Forbidden", "message": "Insufficient privileges."}}
    mocked.get(REPORTS_URL, json=denied, status=403)

    with pytest.raises(Rejected) as caught:
        teams.fetch_attendance(MEETING_ID)

    assert "OnlineMeetingArtifact.Read.All" in caught.value.message
    assert caught.value.detail == "Insufficient privileges."


def test_next_link_to_another_host_is_refused(mocked, teams):
    add_token(mocked)
    page = {"value": [], "@odata.nextLink": "https://evil.example/steal?$skiptoken=x"}
    mocked.get(REPORTS_URL, json=page)

    with pytest.raises(ProviderError, match="another address"):
        teams.fetch_attendance(MEETING_ID)
