"""The sync worker (``flask --app facilitator sync``): order, leases, two workers at once, edits made
while a provider call is in flight, a worker that dies after sending."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest
import responses
import sqlalchemy as sa
from flask import current_app

from facilitator import providers
from facilitator.booking import sync
from facilitator.extensions import db
from facilitator.models import MeetingSession
from tests.support import dbsetup
from tests.support.factories import ApiClient, Factory
from tests.support.providers import PROVIDER_CONFIG, FakeZoom, Sleeps, iso, soon

QUEUED = {**PROVIDER_CONFIG, "SYNC_INLINE_LIMIT": 0}  # bookings leave everything to the worker


@pytest.fixture
def app(make_app):
    app = make_app(**QUEUED)
    with app.app_context():
        providers.hub().sleep = Sleeps()
        yield app


@pytest.fixture
def zoom():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield FakeZoom(mocked)


@pytest.fixture
def facilitator(make):
    return make.user("facilitator")


@pytest.fixture
def group(make, facilitator):
    return make.group(facilitators=[facilitator], provider="zoom")


@pytest.fixture
def booker(api, facilitator):
    api.as_user(facilitator)
    return api


def book(api, group, title="PSL session", start=None, **extra):
    payload = {"group_id": group.id, "title": title, "starts_at": iso(start or soon()),
               "duration_minutes": 60, **extra}
    response = api.post("/api/v1/sessions", json=payload)
    assert response.status_code == 201, response.json
    return response.json


def row(session_id):
    db.session.rollback()
    return db.session.get(MeetingSession, session_id, populate_existing=True)


def at(minutes):
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    current_app.config["FROZEN_NOW"] = moment
    return moment


def test_bookings_wait_for_the_worker_which_sends_the_oldest_first(booker, group, zoom, runner):
    zoom.serve("token", "create")
    at(-1)  # three bookings at one time: a clash, allowed, as only the order they are sent matters
    book(booker, group, "third", allow_clash=True)
    at(-10)
    book(booker, group, "first", allow_clash=True)
    at(-5)
    book(booker, group, "second", allow_clash=True)
    assert zoom.count("create") == 0

    current_app.config["FROZEN_NOW"] = ""
    result = runner.invoke(args=["sync"])

    assert result.exit_code == 0, result.output
    assert "3 synced, 0 to retry, 0 failed" in result.output
    assert [json.loads(r.body)["topic"] for r in zoom.requests("create")] == ["first", "second", "third"]
    assert runner.invoke(args=["sync"]).output.startswith("Sync: 0 synced")


def test_a_claim_is_exclusive_until_its_lease_runs_out(booker, group, app):
    session_id = book(booker, group)["id"]
    now = datetime.now(UTC)

    first = sync.claim(session_id, now)
    db.session.commit()
    second = sync.claim(session_id, now)
    db.session.commit()
    after_lease = sync.claim(session_id, now + timedelta(seconds=app.config["SYNC_LEASE_SECONDS"] + 1))
    db.session.commit()

    assert first is not None and first.action == "create" and first.maybe_sent is False
    assert second is None
    assert after_lease is not None and after_lease.maybe_sent is True  # look before creating again


def test_a_worker_that_died_after_sending_leaves_no_duplicate(booker, group, zoom, app):
    zoom.serve("token", "create", "list", "get")
    session_id = book(booker, group)["id"]
    hub = providers.hub()
    job = sync.claim(session_id, datetime.now(UTC))
    db.session.commit()
    hub.get("zoom").create(job.request)  # sent... and the worker dies before recording it

    at(app.config["SYNC_LEASE_SECONDS"] / 60 + 1)
    sync.drain()

    assert zoom.count("create") == 1
    assert len(zoom.meetings) == 1
    assert row(session_id).provider_meeting_id == next(iter(zoom.meetings))


@pytest.mark.real_commits  # workers in threads
def test_two_workers_at_once_make_each_meeting_once(booker, group, zoom, app):
    zoom.serve("token", "create")
    ids = [s["id"] for s in book(booker, group, repeat={"every": "week", "count": 12})["sessions"]]
    db.session.commit()
    errors = []

    def worker():
        try:
            with app.app_context():
                sync.drain()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert zoom.count("create") == 12
    uids = [json.loads(r.body)["agenda"].rsplit("[facilitator:", 1)[1] for r in zoom.requests("create")]
    assert len(set(uids)) == 12
    assert {row(i).sync_state for i in ids} == {"synced"}


@pytest.mark.real_commits  # a second connection holds the row
@pytest.mark.skipif(dbsetup.postgres_url() is None, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_on_postgresql_a_row_another_worker_holds_is_skipped(booker, group):
    locked, free = (book(booker, group, start=soon(days=d))["id"] for d in (7, 8))
    db.session.commit()
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT id FROM meeting_sessions WHERE id = :id FOR UPDATE"), {"id": locked})
        assert sync.due_ids(datetime.now(UTC), 10) == [free]
        db.session.rollback()
        other.rollback()
    assert sync.due_ids(datetime.now(UTC), 10) == [locked, free]


def test_a_change_made_while_the_create_is_in_flight_is_sent_after_it(booker, group, zoom):
    zoom.serve("token", "create", "update")
    session = book(booker, group)
    hub, now = providers.hub(), datetime.now(UTC)
    job = sync.claim(session["id"], now)
    db.session.commit()

    new_start = soon(days=9)
    moved = booker.patch(f"/api/v1/sessions/{session['id']}", json={"starts_at": iso(new_start)})
    assert moved.status_code == 200  # the edit is not blocked by the worker's lease

    sync.record(job, sync.perform(hub.get("zoom"), job), now)
    db.session.commit()
    assert (row(session["id"]).sync_action, row(session["id"]).sync_state) == ("update", "pending")
    sync.drain()

    assert json.loads(zoom.requests("create")[0].body)["start_time"] == iso(soon())
    assert json.loads(zoom.requests("update")[0].body)["start_time"] == iso(new_start)
    assert zoom.meetings[row(session["id"]).provider_meeting_id]["start_time"] == iso(new_start)
    assert row(session["id"]).sync_state == "synced"


def test_a_cancel_made_while_the_create_is_in_flight_deletes_the_new_meeting(booker, group, zoom):
    zoom.serve("token", "create", "delete")
    session = book(booker, group)
    hub, now = providers.hub(), datetime.now(UTC)
    job = sync.claim(session["id"], now)
    db.session.commit()

    cancelled = booker.delete(f"/api/v1/sessions/{session['id']}").json
    assert cancelled["sync_action"] == "delete"

    sync.record(job, sync.perform(hub.get("zoom"), job), now)
    db.session.commit()
    sync.drain()

    assert zoom.count("create") == 1 and zoom.count("delete") == 1
    assert zoom.meetings == {}
    assert row(session["id"]).sync_state == "synced"


def test_a_cancel_before_anything_was_sent_calls_nobody(booker, group, zoom):
    session = book(booker, group)
    cancelled = booker.delete(f"/api/v1/sessions/{session['id']}").json

    assert (cancelled["sync_action"], cancelled["sync_state"]) == ("none", "synced")
    assert sync.drain().counts["done"] == 0


def test_a_provider_whose_keys_were_removed_waits_and_says_why(booker, group, make_app):
    session_id = book(booker, group)["id"]
    db.session.commit()

    unconfigured = make_app(SYNC_INLINE_LIMIT=0)
    with unconfigured.app_context():
        report = sync.drain()

    assert report.counts["deferred"] == 1
    saved = row(session_id)
    assert saved.sync_state == "pending"
    assert "Zoom is not connected" in saved.sync_error
    assert saved.next_sync_at > datetime.now(UTC) + timedelta(minutes=30)


def test_backoff_doubles_up_to_its_cap(app):
    assert timedelta(seconds=60) <= sync.backoff().delay(1) <= timedelta(seconds=75)
    assert timedelta(seconds=240) <= sync.backoff().delay(3) <= timedelta(seconds=300)
    assert timedelta(seconds=3600) <= sync.backoff().delay(30) <= timedelta(seconds=4500)


def test_the_worker_never_changes_the_version_people_edit_against(booker, group, zoom):
    zoom.serve("token", "create")
    session = book(booker, group)

    sync.drain()

    assert row(session["id"]).version == session["version"]
    refreshed = booker.patch(f"/api/v1/sessions/{session['id']}",
                             json={"title": "Fine", "version": session["version"]})
    assert refreshed.status_code == 200


def test_bookings_made_by_another_app_are_synced(booker, group, zoom, make_app):
    zoom.serve("token", "create")
    session_id = book(booker, group)["id"]
    db.session.commit()

    worker = make_app(**QUEUED)
    with worker.app_context():
        providers.hub().sleep = Sleeps()
        assert sync.drain().counts["done"] == 1
    assert row(session_id).sync_state == "synced"


def test_once_the_circuit_opens_the_rest_of_the_batch_is_not_sent(make_app, zoom):
    from tests.support.providers import status

    app = make_app(**QUEUED, CIRCUIT_FAILURE_THRESHOLD=1)
    with app.app_context():
        providers.hub().sleep = Sleeps()
        zoom.serve("token", "create")
        zoom.fail("create", status(502, {"code": 502, "message": "Bad gateway"}))
        make = Factory(app)
        facilitator = make.user("facilitator")
        api = ApiClient(app, make)
        api.as_user(facilitator)
        ids = [s["id"] for s in book(api, make.group(facilitators=[facilitator], provider="zoom"),
                                     repeat={"every": "week", "count": 3})["sessions"]]

        report = sync.drain()

        assert zoom.count("create") == 1
        assert report.counts == {"done": 0, "retry": 1, "failed": 0, "deferred": 2}
        waiting = [row(i) for i in ids[1:]]
        assert all(s.lease_until is None and "not answering" in s.sync_error for s in waiting)
        assert all(s.create_maybe_sent is False for s in waiting)
