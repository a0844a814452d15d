"""Zoom provider against recorded payloads; token, retry and error paths run for real."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import requests

from integrations.http import (
    AuthError,
    JsonHttpClient,
    NotFound,
    ProviderUnavailable,
    RateLimited,
    Rejected,
)
from integrations.providers.base import MeetingRequest
from integrations.providers.zoom import (
    AGENDA_LIMIT,
    ZoomProvider,
    ZoomSettings,
    agenda_marker,
    agenda_with_marker,
    encode_meeting_ref,
)
from integrations.tokens import MemoryTokenStore
from tests.support.clock import FakeTime

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "providers"
API = "https://api.zoom.us/v2"
OAUTH = "https://zoom.us/oauth/token"
HOST = "scheduler-host@example.com"
CREATE_URL = f"{API}/users/{HOST}/meetings"
MEETING_URL = f"{API}/meetings/85746065432"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
UUID = "/Wk3nJ+9QkuX//r1hT8yZg=="
UUID_IN_PATH = "%252FWk3nJ%252B9QkuX%252F%252Fr1hT8yZg%253D%253D"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def make_zoom(fake_time: FakeTime, **settings) -> ZoomProvider:
    http = JsonHttpClient(service="Zoom", sleep=fake_time.sleep, clock=fake_time.clock)
    config = {
        "account_id": "FixtureAccountId",
        "client_id": "FixtureClientId",
        "client_secret": "fixture-secret",
        "host_user": HOST,
        **settings,
    }
    return ZoomProvider(ZoomSettings(**config), http=http, token_store=MemoryTokenStore())


@pytest.fixture
def zoom(fake_time: FakeTime) -> ZoomProvider:
    return make_zoom(fake_time)


def a_meeting(**changes) -> MeetingRequest:
    values = {
        "uid": "ses_7f3a9c",
        "topic": "Quarterly planning review",
        "start": datetime(2026, 3, 10, 15, 0, tzinfo=UTC),
        "duration_minutes": 60,
        "timezone": "Europe/Berlin",
        "agenda": "Review Q1 goals and staffing.",
    }
    return MeetingRequest(**{**values, **changes})


def add_token(mocked, access_token: str | None = None) -> None:
    body = fixture("zoom_token.json")
    if access_token:
        body["access_token"] = access_token
    mocked.post(OAUTH, json=body)


def add_created(mocked) -> None:
    mocked.post(CREATE_URL, json=fixture("zoom_create_meeting_response.json"), status=201)


def bearer(call) -> str:
    return call.request.headers["Authorization"]


# --- token ---------------------------------------------------------------------------------


def test_one_token_serves_many_creates(mocked, zoom):
    add_token(mocked)
    for _ in range(3):
        add_created(mocked)

    for _ in range(3):
        zoom.create(a_meeting())

    token_calls = [c for c in mocked.calls if c.request.url.startswith(OAUTH)]
    assert len(token_calls) == 1
    request = token_calls[0].request
    assert parse_qs(request.body) == {
        "grant_type": ["account_credentials"],
        "account_id": ["FixtureAccountId"],
    }
    assert urlsplit(request.url).query == ""
    credentials = base64.b64encode(b"FixtureClientId:fixture-secret").decode()
    assert request.headers["Authorization"] == f"Basic {credentials}"
    token = fixture("zoom_token.json")["access_token"]
    assert bearer(mocked.calls[1]) == f"Bearer {token}"


def test_token_is_renewed_a_minute_before_it_expires(mocked, zoom, fake_time):
    add_token(mocked, "first")
    add_created(mocked)
    add_token(mocked, "second")
    add_created(mocked)

    zoom.create(a_meeting())
    fake_time.now += timedelta(seconds=3600 - 59)
    zoom.create(a_meeting())

    assert bearer(mocked.calls[3]) == "Bearer second"


def test_expired_token_401_124_refreshes_once_then_succeeds(mocked, zoom):
    add_token(mocked, "stale")
    mocked.post(CREATE_URL, json={"code": 124, "message": "Access token is expired."}, status=401)
    add_token(mocked, "fresh")
    add_created(mocked)

    meeting = zoom.create(a_meeting())

    assert meeting.meeting_id == "85746065432"
    assert bearer(mocked.calls[1]) == "Bearer stale"
    assert bearer(mocked.calls[3]) == "Bearer fresh"


def test_second_401_is_an_auth_error_not_a_loop(mocked, zoom):
    invalid = {"code": 124, "message": "Invalid access token."}
    for _ in range(2):
        add_token(mocked)
        mocked.post(CREATE_URL, json=invalid, status=401)

    with pytest.raises(AuthError) as caught:
        zoom.create(a_meeting())

    assert caught.value.code == 124
    assert len(mocked.calls) == 4


def test_bad_credentials_explain_what_to_check(mocked, zoom):
    mocked.post(
        OAUTH,
        json={"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
        status=401,
    )

    with pytest.raises(AuthError) as caught:
        zoom.create(a_meeting())

    assert "client secret" in caught.value.message
    assert "Invalid client_id or client_secret" in caught.value.message
    assert caught.value.code == "invalid_client"


def test_new_secret_does_not_reuse_the_old_token(mocked, fake_time):
    store = MemoryTokenStore()
    http = JsonHttpClient(service="Zoom", sleep=fake_time.sleep, clock=fake_time.clock)
    for secret, token in (("old-secret", "old"), ("new-secret", "new")):
        add_token(mocked, token)
        add_created(mocked)
        settings = ZoomSettings("FixtureAccountId", "FixtureClientId", secret, HOST)
        ZoomProvider(settings, http=http, token_store=store).create(a_meeting())

    assert bearer(mocked.calls[3]) == "Bearer new"


# --- create / update / delete --------------------------------------------------------------


def test_create_sends_utc_time_marker_and_settings(mocked, zoom):
    add_token(mocked)
    add_created(mocked)
    start = datetime(2026, 3, 10, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    meeting = zoom.create(a_meeting(start=start))

    body = json.loads(mocked.calls[1].request.body)
    assert body["type"] == 2
    assert body["start_time"] == "2026-03-10T15:00:00Z"
    assert body["duration"] == 60
    assert body["timezone"] == "Europe/Berlin"
    assert body["agenda"].startswith("[facilitator:ses_7f3a9c]")
    assert body["settings"] == {"waiting_room": True, "join_before_host": False}
    assert meeting.meeting_id == "85746065432"
    assert meeting.join_url.startswith("https://zoom.us/j/85746065432")
    assert meeting.passcode == "k7Pq2ZxR"
    assert meeting.dial_in is None
    assert meeting.host_url.startswith("https://zoom.us/s/")
    assert "zak" not in repr(meeting)


def test_meeting_id_beyond_32_bits_round_trips_as_string(mocked, zoom):
    add_token(mocked)
    add_created(mocked)
    mocked.patch(MEETING_URL, status=204)

    meeting = zoom.create(a_meeting())
    zoom.update(meeting.meeting_id, a_meeting(topic="Renamed"))

    assert meeting.meeting_id == "85746065432"
    assert int(meeting.meeting_id) > 2**31
    assert mocked.calls[2].request.url == MEETING_URL
    assert json.loads(mocked.calls[2].request.body)["topic"] == "Renamed"


@pytest.mark.parametrize(
    ("waiting_room", "join_before_host", "sent"),
    [(True, True, False), (False, True, True), (False, False, False)],
)
def test_waiting_room_wins_over_join_before_host(mocked, fake_time, waiting_room, join_before_host, sent):
    zoom = make_zoom(fake_time, waiting_room=waiting_room, join_before_host=join_before_host)
    add_token(mocked)
    add_created(mocked)

    zoom.create(a_meeting())

    settings = json.loads(mocked.calls[1].request.body)["settings"]
    assert settings == {"waiting_room": waiting_room, "join_before_host": sent}


def test_host_override_and_never_me(mocked, zoom):
    add_token(mocked)
    mocked.post(
        f"{API}/users/other@example.com/meetings",
        json=fixture("zoom_create_meeting_response.json"),
        status=201,
    )

    zoom.create(a_meeting(host="other@example.com"))

    with pytest.raises(ValueError, match="not 'me'"):
        zoom.create(a_meeting(host="me"))
    with pytest.raises(ValueError, match="not 'me'"):
        ZoomSettings("a", "b", "c", "me")


def test_long_agenda_is_cut_but_keeps_the_marker_first():
    agenda = agenda_with_marker("x" * 5000, "ses_1")

    assert len(agenda) <= AGENDA_LIMIT < 2000
    assert agenda.startswith(agenda_marker("ses_1"))
    assert agenda_with_marker("", "ses_1") == "[facilitator:ses_1]"


def test_delete_of_a_missing_meeting_counts_as_done(mocked, zoom):
    add_token(mocked)
    mocked.delete(
        f"{MEETING_URL}?schedule_for_reminder=false",
        json=fixture("zoom_meeting_not_found.json"),
        status=404,
    )

    assert zoom.delete("85746065432") is None


def test_delete_success(mocked, zoom):
    add_token(mocked)
    mocked.delete(f"{MEETING_URL}?schedule_for_reminder=false", status=204)

    zoom.delete("85746065432")


def test_update_surfaces_zooms_own_message(mocked, zoom):
    add_token(mocked)
    body = {"code": 300, "message": "Invalid field.", "errors": [{"field": "start_time"}]}
    mocked.patch(MEETING_URL, json=body, status=400)

    with pytest.raises(Rejected) as caught:
        zoom.update("85746065432", a_meeting())

    assert caught.value.code == 300
    assert caught.value.status == 400
    assert "Invalid field." in caught.value.message


def test_update_of_missing_meeting_is_not_found(mocked, zoom):
    add_token(mocked)
    mocked.patch(MEETING_URL, json=fixture("zoom_meeting_not_found.json"), status=404)

    with pytest.raises(NotFound) as caught:
        zoom.update("85746065432", a_meeting())

    assert caught.value.code == 3001


# --- rate limits and failures --------------------------------------------------------------


def test_daily_limit_with_iso_retry_after_raises_rate_limited(mocked, zoom, fake_time):
    add_token(mocked)
    headers = {"Retry-After": "2026-03-03T00:00:00Z", "X-RateLimit-Type": "Daily-limit"}
    mocked.post(CREATE_URL, json=fixture("zoom_429.json"), status=429, headers=headers)

    with pytest.raises(RateLimited) as caught:
        zoom.create(a_meeting())

    assert caught.value.retry_at == datetime(2026, 3, 3, tzinfo=UTC)
    assert "daily rate limit" in caught.value.detail
    assert fake_time.sleeps == []


def test_short_iso_retry_after_is_waited_out_inline(mocked, zoom, fake_time):
    add_token(mocked)
    headers = {"Retry-After": "2026-03-02T09:00:02Z"}
    mocked.post(CREATE_URL, json={"code": 429, "message": "Too many"}, status=429, headers=headers)
    add_created(mocked)

    assert zoom.create(a_meeting()).meeting_id == "85746065432"
    assert fake_time.sleeps == [2.0]


def test_read_timeout_on_create_is_not_repeated(mocked, zoom, fake_time):
    add_token(mocked)
    mocked.post(CREATE_URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(ProviderUnavailable) as caught:
        zoom.create(a_meeting())

    assert caught.value.maybe_sent is True
    assert fake_time.sleeps == []
    assert len(mocked.calls) == 2


def test_server_error_on_create_is_not_repeated(mocked, zoom):
    add_token(mocked)
    mocked.post(CREATE_URL, json={"code": 500, "message": "Internal error"}, status=500)

    with pytest.raises(ProviderUnavailable) as caught:
        zoom.create(a_meeting())

    assert caught.value.maybe_sent is True


def test_connect_timeout_on_create_is_retried(mocked, zoom, fake_time):
    add_token(mocked)
    mocked.post(CREATE_URL, body=requests.ConnectTimeout("connect timed out"))
    add_created(mocked)

    assert zoom.create(a_meeting()).meeting_id == "85746065432"
    assert len(fake_time.sleeps) == 1


def test_server_error_then_success_on_update(mocked, zoom, fake_time):
    add_token(mocked)
    mocked.patch(MEETING_URL, json={"code": 500, "message": "oops"}, status=500)
    mocked.patch(MEETING_URL, status=204)

    zoom.update("85746065432", a_meeting())

    assert len(fake_time.sleeps) == 1


# --- adopting a meeting after an ambiguous create ------------------------------------------


def listed(**changes) -> dict:
    item = {
        "id": 85746065432,
        "uuid": UUID,
        "topic": "Quarterly planning review",
        "type": 2,
        "start_time": "2026-03-10T15:00:00Z",
        "duration": 60,
        "join_url": "https://zoom.us/j/85746065432",
    }
    return {**item, **changes}


def upcoming_url(token: str | None = None) -> str:
    url = f"{CREATE_URL}?type=upcoming&page_size=300"
    return f"{url}&next_page_token={token}" if token else url


def test_after_timeout_find_existing_adopts_the_meeting(mocked, zoom):
    add_token(mocked)
    mocked.post(CREATE_URL, body=requests.ReadTimeout("read timed out"))
    other = listed(id=81111111111, topic="Something else")
    mocked.get(upcoming_url(), json={"meetings": [other], "next_page_token": "p2"})
    mocked.get(upcoming_url("p2"), json={"meetings": [listed()], "next_page_token": ""})
    full = fixture("zoom_create_meeting_response.json")
    full["agenda"] = agenda_with_marker("Review Q1 goals and staffing.", "ses_7f3a9c")
    mocked.get(MEETING_URL, json=full)

    with pytest.raises(ProviderUnavailable):
        zoom.create(a_meeting())
    found = zoom.find_existing(a_meeting())

    assert found is not None
    assert found.meeting_id == "85746065432"
    assert found.passcode == "k7Pq2ZxR"


def test_find_existing_matches_the_marker_when_the_list_has_agendas(mocked, zoom):
    add_token(mocked)
    marker = agenda_marker("ses_7f3a9c")
    items = [listed(id=81111111111, agenda="[facilitator:other]"), listed(agenda=marker)]
    mocked.get(upcoming_url(), json={"meetings": items})
    full = {**fixture("zoom_create_meeting_response.json"), "agenda": marker}
    mocked.get(MEETING_URL, json=full)

    assert zoom.find_existing(a_meeting()).meeting_id == "85746065432"


def test_find_existing_ignores_a_lookalike_without_our_marker(mocked, zoom):
    add_token(mocked)
    mocked.get(upcoming_url(), json={"meetings": [listed()]})
    mocked.get(MEETING_URL, json=fixture("zoom_create_meeting_response.json"))

    assert zoom.find_existing(a_meeting()) is None


# --- attendance ----------------------------------------------------------------------------


def participants_url(ref: str, token: str | None = None) -> str:
    url = f"{API}/past_meetings/{ref}/participants?page_size=300"
    return f"{url}&next_page_token={token}" if token else url


@pytest.mark.parametrize("last_page_token", ["", None])
def test_attendance_follows_pages_until_token_empty_or_absent(mocked, zoom, last_page_token):
    add_token(mocked)
    page1 = fixture("zoom_participants_page1.json")
    page2 = fixture("zoom_participants_page2.json")
    if last_page_token is None:
        del page2["next_page_token"]
    mocked.get(participants_url(UUID_IN_PATH), json=page1)
    mocked.get(participants_url(UUID_IN_PATH, page1["next_page_token"]), json=page2)

    rows = zoom.fetch_attendance("85746065432", instance_uuid=UUID)

    assert [row.name for row in rows] == [
        "Host Example",
        "Dana Attendee",
        "Dana Attendee",
        "Guest (phone)",
    ]
    guest = rows[3]
    assert guest.email is None and guest.provider_user_key is None
    dana = rows[1]
    assert dana.email == "dana.attendee@example.org"
    assert dana.provider_user_key == "Yb6HqL2mR8eVt0sD4kWzNw"
    assert dana.intervals[0].joined_at == datetime(2026, 3, 10, 15, 2, 31, tzinfo=UTC)
    assert dana.intervals[0].left_at == datetime(2026, 3, 10, 15, 20, 5, tzinfo=UTC)


def test_awkward_uuid_is_double_encoded_on_the_wire(mocked, zoom):
    add_token(mocked)
    mocked.get(participants_url(UUID_IN_PATH), json={"participants": []})

    zoom.fetch_attendance("85746065432", instance_uuid=UUID)

    sent = mocked.calls[1].request.url
    assert urlsplit(sent).path == f"/v2/past_meetings/{UUID_IN_PATH}/participants"


@pytest.mark.parametrize(
    ("ref", "encoded"),
    [
        (UUID, UUID_IN_PATH),
        ("a//b", "a%252F%252Fb"),
        ("Wk3nJ+9QkuX/r1hT8yZg==", "Wk3nJ%2B9QkuX%2Fr1hT8yZg%3D%3D"),
        ("85746065432", "85746065432"),
    ],
)
def test_meeting_ref_encoding(ref, encoded):
    assert encode_meeting_ref(ref) == encoded


def test_attendance_by_meeting_id_uses_the_latest_instance(mocked, zoom):
    add_token(mocked)
    mocked.get(participants_url("85746065432"), json={"participants": []})

    assert zoom.fetch_attendance("85746065432") == []
