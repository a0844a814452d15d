"""Booking on Zoom as its documentation says: a retried create finds its meeting even when the
list cuts the agenda, and both documented forms of the daily create/update limit (the 429 with
``X-RateLimit-Type: Daily-limit`` and the HTTP 300 answer) queue the session for the next UTC day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import responses

from facilitator import providers
from facilitator.booking import sync
from tests.support.providers import PROVIDER_CONFIG, FakeZoom, Sleeps, status, timeout_after
from tests.test_sync_zoom import book, later, row

# Longer than the ~94 characters that pushed an end-of-agenda marker past the list's 250.
LONG_NAME = ("The North Lanarkshire, East Dunbartonshire and Inverclyde Care Home Managers' and Deputy "
             "Managers' Peer Support and Learning Network")
DAILY_300 = {"code": 300, "message": "A maximum of 100 meetings can be created/updated for a single user "
                                     "in one day."}


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
def zoom(sleeps):
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mocked:
        yield FakeZoom(mocked)


@pytest.fixture
def facilitator(make):
    return make.user("facilitator")


@pytest.fixture
def booker(api, facilitator):
    api.as_user(facilitator)
    return api


def midnight() -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=1), datetime.min.time(), UTC)


def test_a_long_group_name_does_not_hide_the_marker_from_the_retry(booker, make, facilitator, zoom):
    group = make.group(LONG_NAME, facilitators=[facilitator], homes=[make.home()], provider="zoom")
    zoom.serve("token", "create", "list", "get")
    zoom.fail("create", timeout_after())

    session = book(booker, group)
    later(minutes=5)
    sync.drain()

    assert zoom.count("create") == 1 and len(zoom.meetings) == 1
    assert row(session["id"]).provider_meeting_id == str(next(iter(zoom.meetings)))


@pytest.mark.parametrize("answer", [
    status(429, {"code": 429, "message": "Too many requests."}, {"X-RateLimit-Type": "Daily-limit"}),
    status(300, DAILY_300),
], ids=["429-daily-limit-header", "300-maximum-meetings"])
def test_the_documented_daily_limits_queue_a_create_for_the_next_utc_day(booker, make, facilitator, zoom,
                                                                         sleeps, answer):
    group = make.group(facilitators=[facilitator], homes=[make.home()], provider="zoom")
    zoom.serve("token", "create")
    zoom.fail("create", answer)

    first = book(booker, group)
    second = book(booker, group, allow_clash=True)  # the same time again: only the limit matters here

    assert zoom.count("create") == 1  # today's budget is used up: the second is not even tried
    assert sleeps.waits == []
    for session in (first, second):
        assert session["sync_state"] == "pending"
        assert "after midnight UTC" in session["sync_error"]
        assert row(session["id"]).next_sync_at == midnight()


def test_the_http_300_daily_limit_on_update_waits_for_the_next_utc_day(booker, make, facilitator, zoom):
    group = make.group(facilitators=[facilitator], homes=[make.home()], provider="zoom")
    zoom.serve("token", "create", "update")
    session = book(booker, group)
    zoom.fail("update", status(300, DAILY_300))

    changed = booker.patch(f"/api/v1/sessions/{session['id']}", json={"title": "Renamed"}).json

    assert changed["sync_state"] == "pending" and "after midnight UTC" in changed["sync_error"]
    assert row(session["id"]).next_sync_at == midnight()
    later(minutes=(midnight() - datetime.now(UTC)).total_seconds() / 60 + 1)
    assert sync.drain().counts["done"] == 1


def test_a_per_second_limit_is_not_the_daily_one_whatever_its_words(booker, make, facilitator, zoom):
    group = make.group(facilitators=[facilitator], homes=[make.home()], provider="zoom")
    zoom.serve("token", "create")
    in_30s = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"code": 429, "message": "You have exceeded the daily quota of requests per second."}
    zoom.fail("create", status(429, body, {"X-RateLimit-Type": "QPS", "Retry-After": in_30s}))

    session = book(booker, group)

    assert session["sync_state"] == "pending"
    assert "midnight" not in session["sync_error"]
    assert row(session["id"]).next_sync_at < datetime.now(UTC) + timedelta(minutes=1)
