"""Booking on Microsoft Teams end to end, against a stateful Graph behind `responses`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import responses
from flask import current_app

from facilitator import providers
from facilitator.booking import sync
from facilitator.extensions import db
from facilitator.models import MeetingSession
from tests.support.providers import (
    GRAPH_API,
    ORGANIZER,
    PROVIDER_CONFIG,
    FakeGraph,
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
def graph(sleeps):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield FakeGraph(mocked)


@pytest.fixture
def facilitator(make):
    return make.user("facilitator")


@pytest.fixture
def group(make, facilitator):
    return make.group(facilitators=[facilitator], homes=[make.home()], provider="teams")


@pytest.fixture
def booker(api, facilitator):
    api.as_user(facilitator)
    return api


def book(api, group, start=None, **extra):
    payload = {"group_id": group.id, "title": "PSL: safety and trust", "starts_at": iso(start or soon()),
               "duration_minutes": 60, **extra}
    response = api.post("/api/v1/sessions", json=payload)
    assert response.status_code == 201, response.json
    return response.json


def row(session_id):
    db.session.rollback()
    return db.session.get(MeetingSession, session_id, populate_existing=True)


def later(minutes):
    moment = datetime.now(UTC) + timedelta(minutes=minutes)
    current_app.config["FROZEN_NOW"] = moment


def test_create_or_get_with_our_uid_as_external_id(booker, group, graph):
    graph.serve("token", "create")
    start = soon(hour=13)

    series = book(booker, group, start, repeat={"every": "week", "count": 3})["sessions"]

    assert graph.count("token") == 1
    token_form = parse_qs(graph.requests("token")[0].body)
    assert token_form["grant_type"] == ["client_credentials"]
    assert token_form["scope"] == ["https://graph.microsoft.com/.default"]
    sent = [json.loads(r.body) for r in graph.requests("create")]
    assert [s["externalId"] for s in sent] == [s["ical_uid"] for s in series]
    assert sent[0]["startDateTime"] == iso(start)
    assert sent[0]["endDateTime"] == iso(start + timedelta(hours=1))
    first = series[0]
    assert first["sync_state"] == "synced"
    assert first["join_url"] == fixture("graph_online_meeting.json")["joinWebUrl"]
    assert first["passcode"] == "Xq9bT2"
    assert first["provider_meeting_id"] in graph.meetings


def test_timeouts_after_graph_made_the_meeting_give_exactly_one_meeting(booker, group, graph, sleeps):
    graph.serve("token", "create")
    # Three tries inline (the create is idempotent, so it is repeated), all time out after acting.
    graph.fail("create", timeout_after(), timeout_after(), timeout_after())

    session = book(booker, group)

    assert session["sync_state"] == "pending"
    assert graph.count("create") == 3
    assert len(sleeps.waits) == 2
    later(minutes=5)
    sync.drain()

    assert graph.count("create") == 4
    assert len(graph.meetings) == 1
    saved = row(session["id"])
    assert saved.sync_state == "synced"
    assert saved.provider_meeting_id == next(iter(graph.meetings))


def test_a_retry_after_in_seconds_beyond_the_inline_budget_is_left_to_the_worker(booker, group, graph):
    graph.serve("token", "create")
    graph.fail("create", status(429, fixture("graph_429.json"), {"Retry-After": "10"}))

    before = datetime.now(UTC)
    session = book(booker, group)

    assert session["sync_state"] == "pending"
    assert "limiting how often" in session["sync_error"]
    retry_at = row(session["id"]).next_sync_at
    assert before + timedelta(seconds=9) <= retry_at <= datetime.now(UTC) + timedelta(seconds=11)
    assert sync.drain().counts["done"] == 0

    later(minutes=1)
    sync.drain()
    assert row(session["id"]).sync_state == "synced"
    assert len(graph.meetings) == 1


def test_a_missing_access_policy_says_what_to_run(booker, group, graph):
    graph.serve("token", "create")
    graph.fail("create", status(403, fixture("graph_403_no_access_policy.json")))

    session = book(booker, group)

    assert session["sync_state"] == "failed"
    assert "Grant-CsApplicationAccessPolicy" in session["sync_error"]
    assert ORGANIZER in session["sync_error"]


def test_reschedule_patches_start_and_end_and_cancel_deletes(booker, group, graph):
    graph.serve("token", "create", "update", "delete")
    session = book(booker, group)
    new_start = soon(days=12, hour=9)

    booker.patch(f"/api/v1/sessions/{session['id']}", json={"starts_at": iso(new_start)})
    cancelled = booker.delete(f"/api/v1/sessions/{session['id']}").json

    update = graph.requests("update")[0]
    assert update.url.startswith(f"{GRAPH_API}/users/{ORGANIZER}/onlineMeetings/")
    assert json.loads(update.body) == {"subject": "PSL: safety and trust",
                                       "startDateTime": iso(new_start),
                                       "endDateTime": iso(new_start + timedelta(hours=1))}
    assert graph.count("delete") == 1
    assert graph.meetings == {}
    assert cancelled["status"] == "cancelled" and cancelled["sequence"] == 2
    assert cancelled["sync_state"] == "synced"
