"""Booking on Zoom end to end: the API saves the session, the sync makes the real meeting.

Zoom is a stateful fake behind `responses` (tests/test_booking_fakes.py) answering with payloads
shaped like the recorded fixtures, so the token, retry and error paths of the real clients run.
Times are relative to the real clock (the providers' token expiry uses it); moving the app's clock
forward is done through the provider hub.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from flask import current_app
from sqlalchemy import select

from facilitator import providers
from facilitator.booking import sync
from facilitator.extensions import db
from facilitator.models import MeetingSession, ProviderCircuit, ProviderToken
from tests.support.factories import ApiClient, Factory
from tests.support.providers import (
    PROVIDER_CONFIG,
    ZOOM_API,
    ZOOM_FIRST_ID,
    ZOOM_HOST,
    FakeZoom,
    Sleeps,
    fixture,
    iso,
    soon,
    status,
    timeout_after,
)


@pytest.fixture
def app(make_app):
    app = make_app(**PROVIDER_CONFIG)
    with app.app_context():
        yield app


@pytest.fixture
def sleeps(app):
    sleeper = Sleeps()
    providers.hub().sleep = sleeper
    return sleeper


@pytest.fixture
def mocked(sleeps):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def zoom(mocked):
    return FakeZoom(mocked)


@pytest.fixture
def facilitator(make):
    return make.user("facilitator")


@pytest.fixture
def group(make, facilitator):
    return make.group(facilitators=[facilitator], homes=[make.home()], provider="zoom")


@pytest.fixture
def booker(api, facilitator):
    api.as_user(facilitator)
    return api


def book(api: ApiClient, group, start: datetime | None = None, **extra):
    payload = {"group_id": group.id, "title": "PSL: noticing trauma", "starts_at": iso(start or soon()),
               "duration_minutes": 60, **extra}
    response = api.post("/api/v1/sessions", json=payload)
    assert response.status_code == 201, response.json
    return response.json


def row(session_id: int) -> MeetingSession:
    db.session.rollback()
    return db.session.get(MeetingSession, session_id, populate_existing=True)


def later(minutes: float) -> None:
    """Move the app's clock forward (the sync's notion of now)."""
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    current_app.config["FROZEN_NOW"] = moment


def bearer(request) -> str:
    return request.headers["Authorization"]


# Creating --------------------------------------------------------------------------------------


def test_one_token_serves_a_series_and_other_processes(booker, group, zoom, make_app):
    zoom.serve("token", "create", "update")

    series = book(booker, group, repeat={"every": "week", "count": 5})["sessions"]

    assert zoom.count("token") == 1
    assert zoom.count("create") == 5
    assert {bearer(r) for r in zoom.requests("create")} == {"Bearer zoom-token-1"}
    assert all(s["sync_state"] == "synced" for s in series)
    assert len({s["provider_meeting_id"] for s in series}) == 5
    stored = db.session.scalar(select(ProviderToken))
    assert "zoom-token-1" not in stored.token  # encrypted at rest

    # Another process (a second app, as the sync worker is) uses the same token from the database.
    worker = make_app(**PROVIDER_CONFIG)
    with worker.app_context():
        providers.hub().sleep = Sleeps()
        api = ApiClient(worker, Factory(worker))
        api.as_user("admin")
        api.patch(f"/api/v1/sessions/{series[0]['id']}", json={"title": "Renamed"})
    assert zoom.count("token") == 1
    assert bearer(zoom.requests("update")[0]) == "Bearer zoom-token-1"


def test_the_meeting_is_made_as_zoom_documents_it(booker, group, zoom):
    zoom.serve("token", "create")
    start = soon(days=9, hour=14)

    session = book(booker, group, start)

    request = zoom.requests("create")[0]
    assert request.url == f"{ZOOM_API}/users/{ZOOM_HOST}/meetings"
    sent = json.loads(request.body)
    assert sent["type"] == 2
    assert sent["start_time"] == iso(start)  # UTC with Z
    assert sent["duration"] == 60
    assert sent["timezone"] == "Europe/London"
    assert f"[facilitator:{session['ical_uid']}]" in sent["agenda"]
    assert sent["settings"] == {"waiting_room": True, "join_before_host": False}
    assert session["provider_meeting_id"] == str(ZOOM_FIRST_ID)
    assert session["join_url"].startswith(f"https://zoom.us/j/{ZOOM_FIRST_ID}")
    assert session["passcode"] == "k7Pq2ZxR"


def test_the_host_start_url_is_never_stored(booker, group, zoom):
    zoom.serve("token", "create")
    session = book(booker, group)

    db.session.rollback()
    values = db.session.execute(select(MeetingSession.__table__)).one()._asdict()
    assert not any("zak=" in str(v) or "/s/" in str(v) for v in values.values()), values
    assert "start_url" not in json.dumps(session)


def test_a_refused_token_is_fetched_again_once_and_the_call_repeated(booker, group, zoom):
    zoom.serve("token", "create")
    zoom.fail("create", status(401, {"code": 124, "message": "Invalid access token."}))

    session = book(booker, group)

    assert zoom.count("token") == 2
    assert [bearer(r) for r in zoom.requests("create")] == ["Bearer zoom-token-1", "Bearer zoom-token-2"]
    assert session["sync_state"] == "synced"


def test_zoom_ids_beyond_64_bits_of_javascript_round_trip_as_strings(booker, group, zoom):
    zoom.next_id = 2**62 + 12345  # far past 32 bits, and past 2**53 where JSON numbers lose digits
    zoom.serve("token", "create", "update", "delete")

    session = book(booker, group)
    meeting_id = session["provider_meeting_id"]
    booker.patch(f"/api/v1/sessions/{session['id']}", json={"title": "Renamed"})
    booker.delete(f"/api/v1/sessions/{session['id']}")

    assert meeting_id == str(2**62 + 12345)
    assert zoom.requests("update")[0].url == f"{ZOOM_API}/meetings/{meeting_id}"
    assert zoom.requests("delete")[0].url.startswith(f"{ZOOM_API}/meetings/{meeting_id}?")
    assert row(session["id"]).provider_meeting_id == meeting_id


# Rate limits and failures ----------------------------------------------------------------------


def test_a_short_retry_after_is_waited_for_inline(booker, group, zoom, sleeps):
    zoom.serve("token", "create")
    per_second = {"code": 429, "message": "You have reached the maximum per-second rate limit for this "
                                          "API. Try again later."}
    zoom.fail("create", status(429, per_second, {"Retry-After": "1"}))

    session = book(booker, group)

    assert session["sync_state"] == "synced"
    assert zoom.count("create") == 2
    assert len(sleeps.waits) == 1 and 0 <= sleeps.waits[0] <= 1


def test_zoom_daily_limit_queues_the_session_for_the_next_utc_day(booker, group, zoom, sleeps):
    zoom.serve("token", "create")
    midnight = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)
    zoom.fail("create", status(429, fixture("zoom_429.json"), {"Retry-After": iso(midnight)}))

    first = book(booker, group)
    second = book(booker, group, soon(days=14))

    assert zoom.count("create") == 1  # the second was not even tried: today's budget is gone
    assert sleeps.waits == []
    for session in (first, second):
        assert session["sync_state"] == "pending"
        assert "after midnight UTC" in session["sync_error"]
        assert ZOOM_HOST in session["sync_error"]
        assert row(session["id"]).next_sync_at == midnight

    later(minutes=(midnight - datetime.now(UTC)).total_seconds() / 60 + 1)
    report = sync.drain()

    assert report.counts["done"] == 2
    assert zoom.count("create") == 3
    assert row(first["id"]).sync_error is None


def test_the_per_host_budget_queues_what_is_over_and_own_hosts_have_their_own(
        make_app, make, zoom, sleeps):
    app = make_app(**PROVIDER_CONFIG, ZOOM_DAILY_LIMIT_PER_HOST=3, SYNC_INLINE_LIMIT=10)
    with app.app_context():
        providers.hub().sleep = sleeps
        zoom.serve("token", "create")
        make = Factory(app)
        facilitator, mapped = make.user("facilitator"), make.user("facilitator")
        mapped.zoom_host_user = "ruth.host@example.org"
        db.session.commit()
        group = make.group(facilitators=[facilitator], provider="zoom")
        other_group = make.group(facilitators=[mapped], provider="zoom")
        api = ApiClient(app, make)
        api.as_user(facilitator)
        series = book(api, group, repeat={"every": "week", "count": 5})["sessions"]
        api.as_user(mapped)
        own = book(api, other_group)

        assert [s["sync_state"] for s in series] == ["synced"] * 3 + ["pending"] * 2
        assert "allows 3 meeting changes a day" in series[3]["sync_error"]
        assert own["sync_state"] == "synced"
        assert zoom.requests("create")[-1].url == f"{ZOOM_API}/users/ruth.host@example.org/meetings"
        assert sync.drain().counts == {"done": 0, "retry": 0, "failed": 0, "deferred": 0}

        later(minutes=24 * 60 + 1)
        sync.drain()
        assert zoom.count("create") == 6
        assert all(row(s["id"]).sync_state == "synced" for s in series)


def test_a_server_error_on_create_is_retried_by_the_worker_without_a_duplicate(booker, group, zoom):
    zoom.serve("token", "create", "list")
    zoom.fail("create", status(500, {"code": 500, "message": "Internal server error"}))

    session = book(booker, group)

    assert zoom.count("create") == 1  # a create that may have arrived is never repeated inline
    assert session["sync_state"] == "pending"
    assert "Zoom is having problems" in session["sync_error"]
    assert row(session["id"]).create_maybe_sent is True
    assert sync.drain().counts["done"] == 0  # not due yet: backoff

    later(minutes=5)
    sync.drain()

    assert zoom.count("list") == 1  # looked for the meeting first; Zoom had not made one
    assert zoom.count("create") == 2
    assert len(zoom.meetings) == 1
    assert row(session["id"]).sync_state == "synced"


def test_a_server_error_on_update_is_retried_inline_with_backoff(booker, group, zoom, sleeps):
    zoom.serve("token", "create", "update")
    session = book(booker, group)
    zoom.fail("update", status(502, {"code": 502, "message": "Bad gateway"}))

    changed = booker.patch(f"/api/v1/sessions/{session['id']}", json={"title": "New title"}).json

    assert zoom.count("update") == 2
    assert len(sleeps.waits) == 1 and 0.5 <= sleeps.waits[0] <= 1.0
    assert changed["sync_state"] == "synced"


def test_a_timeout_after_zoom_made_the_meeting_gives_exactly_one_meeting(booker, group, zoom):
    zoom.serve("token", "create", "list", "get")
    zoom.fail("create", timeout_after())

    session = book(booker, group)
    assert session["sync_state"] == "pending"
    assert session["provider_meeting_id"] is None

    later(minutes=5)
    sync.drain()
    sync.drain()

    assert zoom.count("create") == 1
    assert len(zoom.meetings) == 1
    saved = row(session["id"])
    assert saved.sync_state == "synced"
    assert saved.provider_meeting_id == str(ZOOM_FIRST_ID)
    assert saved.join_url.startswith(f"https://zoom.us/j/{ZOOM_FIRST_ID}")
    assert saved.create_maybe_sent is False


def test_a_refusal_is_shown_and_can_be_fixed_and_retried(booker, group, zoom):
    zoom.serve("token", "create")
    zoom.fail("create", status(400, {"code": 300, "message": "Invalid meeting start time."}))

    session = book(booker, group)

    assert session["sync_state"] == "failed"
    assert "Invalid meeting start time." in session["sync_error"]
    assert sync.drain().counts["done"] == 0  # failed sessions wait for a person

    fixed = booker.patch(f"/api/v1/sessions/{session['id']}",
                         json={"starts_at": iso(soon(days=8))}).json
    assert fixed["sync_state"] == "synced"
    assert fixed["sync_error"] is None


# Reschedule and cancel -------------------------------------------------------------------------


def test_reschedule_updates_the_meeting_and_bumps_the_sequence(booker, group, zoom):
    zoom.serve("token", "create", "update")
    session = book(booker, group)
    new_start = soon(days=10, hour=15)

    changed = booker.patch(f"/api/v1/sessions/{session['id']}",
                           json={"starts_at": iso(new_start), "duration_minutes": 90,
                                 "version": session["version"]}).json

    sent = json.loads(zoom.requests("update")[0].body)
    assert zoom.requests("update")[0].url == f"{ZOOM_API}/meetings/{session['provider_meeting_id']}"
    assert sent["start_time"] == iso(new_start)
    assert sent["duration"] == 90
    assert zoom.meetings[session["provider_meeting_id"]]["start_time"] == iso(new_start)
    assert changed["sequence"] == 1
    assert changed["sync_state"] == "synced"


def test_cancel_deletes_the_meeting_and_keeps_the_row(booker, group, zoom):
    zoom.serve("token", "create", "delete")
    session = book(booker, group)

    cancelled = booker.delete(f"/api/v1/sessions/{session['id']}").json

    assert zoom.count("delete") == 1
    assert zoom.meetings == {}
    assert cancelled["status"] == "cancelled"
    assert cancelled["sequence"] == 1
    assert cancelled["sync_state"] == "synced"
    assert booker.get(f"/api/v1/sessions/{session['id']}").json["status"] == "cancelled"


def test_a_meeting_already_deleted_on_zoom_counts_as_deleted(booker, group, zoom):
    zoom.serve("token", "create", "delete")
    session = book(booker, group)
    zoom.meetings.clear()

    cancelled = booker.delete(f"/api/v1/sessions/{session['id']}").json

    assert cancelled["sync_state"] == "synced"


def test_a_meeting_deleted_on_zoom_is_made_again_on_retry(booker, group, zoom, client, auth, facilitator):
    zoom.serve("token", "create", "update")
    session = book(booker, group)
    zoom.meetings.clear()

    changed = booker.patch(f"/api/v1/sessions/{session['id']}", json={"title": "Renamed"}).json
    assert changed["sync_state"] == "failed"
    assert "no longer exists on Zoom" in changed["sync_error"]

    auth.login(facilitator)
    auth.post(f"/sessions/{session['id']}/retry", {}, page=f"/sessions/{session['id']}")

    assert zoom.count("create") == 2
    saved = row(session["id"])
    assert saved.sync_state == "synced"
    assert saved.provider_meeting_id == str(ZOOM_FIRST_ID + 1)


# Circuit breaker -------------------------------------------------------------------------------


def test_after_repeated_failures_zoom_is_left_alone_and_bookings_still_save(make_app, zoom, sleeps):
    app = make_app(**PROVIDER_CONFIG, CIRCUIT_FAILURE_THRESHOLD=2, CIRCUIT_OPEN_SECONDS=60)
    with app.app_context():
        providers.hub().sleep = sleeps
        zoom.serve("token", "create", "list")
        make = Factory(app)
        facilitator = make.user("facilitator")
        group = make.group(facilitators=[facilitator], provider="zoom")
        api = ApiClient(app, make)
        api.as_user(facilitator)
        down = status(503, {"code": 503, "message": "Service unavailable"})
        zoom.fail("create", down, down)

        first, second = book(api, group), book(api, group, soon(days=8))
        third = book(api, group, soon(days=9))

        assert zoom.count("create") == 2  # the third was not sent: the circuit is open
        assert third["sync_state"] == "pending"
        assert "not answering" in third["sync_error"]
        circuit = db.session.get(ProviderCircuit, "zoom")
        assert circuit.failures == 2 and circuit.open_until > datetime.now(UTC)
        page = _group_page(app, facilitator, group)
        assert "Zoom is not answering at the moment" in page

        later(minutes=2)
        sync.drain()

        assert all(row(s["id"]).sync_state == "synced" for s in (first, second, third))
        assert len(zoom.meetings) == 3
        db.session.refresh(circuit)
        assert circuit.failures == 0 and circuit.open_until is None
        assert "not answering" not in _group_page(app, facilitator, group)


def _group_page(app, user, group) -> str:
    from tests.support.factories import Auth

    client = app.test_client()
    Auth(client, Factory(app)).login(user)
    return client.get(f"/groups/{group.id}").get_data(as_text=True)


def test_token_values_stay_out_of_the_logs(booker, group, zoom, caplog):
    zoom.serve("token", "create")
    caplog.set_level("DEBUG")

    book(booker, group)

    assert "zoom-token-1" not in caplog.text
    assert "fixture-secret" not in caplog.text


def test_meeting_settings_come_from_configuration(make_app, zoom, sleeps):
    app = make_app(**PROVIDER_CONFIG, ZOOM_WAITING_ROOM=False, ZOOM_JOIN_BEFORE_HOST=True)
    with app.app_context():
        providers.hub().sleep = sleeps
        zoom.serve("token", "create")
        make = Factory(app)
        facilitator = make.user("facilitator")
        api = ApiClient(app, make)
        api.as_user(facilitator)

        book(api, make.group(facilitators=[facilitator], provider="zoom"))

        assert json.loads(zoom.requests("create")[0].body)["settings"] == {
            "waiting_room": False, "join_before_host": True}
