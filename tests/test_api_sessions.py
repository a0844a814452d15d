"""The sessions API: booking, series across clock changes, validation, access, change and cancel.

These tests use the pasted-link provider (no outside calls) with the app's clock pinned, so the
dates are fixed; provider behaviour is in tests/test_sync_*.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.invites import hooks
from facilitator.models import MeetingSession, MeetingSessionRevision

NOW = "2026-03-02T09:00:00+00:00"
LONDON = ZoneInfo("Europe/London")
LINK = "https://meet.example.org/psl-group"


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=NOW)
    with app.app_context():
        yield app


@pytest.fixture
def facilitator(make):
    return make.user("facilitator")


@pytest.fixture
def group(make, facilitator):
    return make.group(facilitators=[facilitator], homes=[make.home()], provider="link")


@pytest.fixture
def booker(api, facilitator):
    api.as_user(facilitator)
    return api


def body(group, **changes):
    values = {"group_id": group.id, "title": "Trauma-informed practice: week 1",
              "starts_at": "2026-03-10T10:00:00", "duration_minutes": 90, "join_url": LINK}
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def session_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(MeetingSession))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# Booking ---------------------------------------------------------------------------------------


def test_book_one_session(booker, group):
    response = booker.post("/api/v1/sessions", json=body(group))

    assert response.status_code == 201, response.json
    data = response.json
    assert data["starts_at"] == "2026-03-10T10:00:00Z"  # GMT in March: naive London = UTC
    assert data["ends_at"] == "2026-03-10T11:30:00Z"
    assert data["timezone"] == "Europe/London"
    assert data["status"] == "scheduled"
    assert data["provider"] == "link"
    assert data["sequence"] == 0
    assert data["series_id"] is None
    assert data["sync_state"] == "synced"  # a pasted link needs no call: synced at once
    assert data["join_url"] == LINK
    assert data["ical_uid"].endswith("@facilitator")
    for key in ("id", "group_id", "title", "provider_meeting_id", "sync_error", "version"):
        assert key in data
    assert booker.get(f"/api/v1/sessions/{data['id']}").json == data


def test_starts_at_with_an_offset_or_z_is_taken_as_given(booker, group):
    summer = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-07-01T10:00:00+01:00"))
    zulu = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-07-02T10:00:00Z"))
    naive = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-07-03T10:00:00"))

    assert summer.json["starts_at"] == "2026-07-01T09:00:00Z"
    assert zulu.json["starts_at"] == "2026-07-02T10:00:00Z"
    assert naive.json["starts_at"] == "2026-07-03T09:00:00Z"  # naive means London (BST)


def test_weekly_series_keeps_ten_o_clock_local_across_both_clock_changes(booker, group):
    # 16 March to 2 November 2026: the clocks go forward on 29 March and back on 25 October.
    response = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-16T10:00:00", repeat={"every": "week", "count": 34}))

    assert response.status_code == 201, response.json
    data = response.json
    sessions = data["sessions"]
    assert len(sessions) == 34
    assert data["series_id"] and all(s["series_id"] == data["series_id"] for s in sessions)
    locals_ = [utc(s["starts_at"]).astimezone(LONDON) for s in sessions]
    assert {(t.hour, t.minute) for t in locals_} == {(10, 0)}
    assert {t.weekday() for t in locals_} == {0}
    by_date = {t.date().isoformat(): s["starts_at"] for t, s in zip(locals_, sessions, strict=True)}
    assert by_date["2026-03-23"] == "2026-03-23T10:00:00Z"  # before the last Sunday of March
    assert by_date["2026-03-30"] == "2026-03-30T09:00:00Z"  # after it: BST
    assert by_date["2026-10-19"] == "2026-10-19T09:00:00Z"  # before the last Sunday of October
    assert by_date["2026-10-26"] == "2026-10-26T10:00:00Z"  # after it: GMT again
    clock = [w for w in data["warnings"] if "clock change" in w]
    assert len(clock) == 2
    assert "clocks go forward" in clock[0]
    assert "clocks go back" in clock[1]


def test_fortnightly_and_monthly_series(booker, group):
    fortnightly = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-10T14:00:00", repeat={"every": "fortnight", "count": 3})).json
    monthly = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-31T14:00:00", repeat={"every": "month", "count": 3})).json

    assert [s["starts_at"][:10] for s in fortnightly["sessions"]] == ["2026-03-10", "2026-03-24",
                                                                      "2026-04-07"]
    # The 31st, or the last day of a shorter month; always 14:00 London time.
    assert [utc(s["starts_at"]).astimezone(LONDON).strftime("%m-%d %H:%M") for s in monthly["sessions"]] \
        == ["03-31 14:00", "04-30 14:00", "05-31 14:00"]


def test_ends_at_can_be_given_instead_of_a_duration(booker, group):
    response = booker.post("/api/v1/sessions", json=body(group, duration_minutes=None,
                                                         ends_at="2026-03-10T11:00:00"))
    assert response.status_code == 201, response.json
    assert response.json["ends_at"] == "2026-03-10T11:00:00Z"


def test_a_session_in_the_past_is_recorded_without_a_meeting_or_invites(booker, group, monkeypatch):
    booked = []
    monkeypatch.setattr(hooks, "session_booked", booked.append)

    refused = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-02-02T10:00:00",
                                                        join_url=None))
    assert refused.status_code == 422
    assert "Record a past session" in refused.json["error"]["fields"]["starts_at"]

    response = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-02-02T10:00:00",
                                                         join_url=None, record_only=True))

    assert response.status_code == 201, response.json
    data = response.json
    assert data["sync_state"] == "synced"
    assert data["provider_meeting_id"] is None
    assert data["join_url"] is None
    assert booked == []


def test_booking_tells_the_invitations_in_the_same_transaction(booker, group, monkeypatch):
    seen = []

    def booked(session):
        seen.append((session.title, session.sequence, session.id is not None))

    monkeypatch.setattr(hooks, "session_booked", booked)
    booker.post("/api/v1/sessions", json=body(group, repeat={"every": "week", "count": 3}))

    assert seen == [("Trauma-informed practice: week 1", 0, True)] * 3


# Invalid input ---------------------------------------------------------------------------------

INVALID = [
    ("end before start", {"duration_minutes": None, "ends_at": "2026-03-10T09:00:00"}, 422, "ends_at"),
    ("unknown group", {"group_id": 987654}, 422, "group_id"),
    ("group id too big", {"group_id": 2**40}, 422, "group_id"),
    ("non-https link", {"join_url": "http://meet.example.org/psl"}, 422, "join_url"),
    ("link with a password", {"join_url": "https://me:pw@meet.example.org/"}, 422, "join_url"),
    ("zero minutes", {"duration_minutes": 0}, 422, "duration_minutes"),
    ("a thousand minutes", {"duration_minutes": 1000}, 422, "duration_minutes"),
    ("negative minutes", {"duration_minutes": -30}, 422, "duration_minutes"),
    ("no length", {"duration_minutes": None}, 422, "duration_minutes"),
    ("10,000-character title", {"title": "x" * 10_000}, 422, "title"),
    ("blank title", {"title": "   "}, 422, "title"),
    ("not a time", {"starts_at": "next tuesday"}, 422, "starts_at"),
    ("too far ahead", {"starts_at": "2031-01-01T10:00:00"}, 422, "starts_at"),
    ("unknown provider", {"provider": "skype"}, 422, "provider"),
    ("repeat too often", {"repeat": {"every": "week", "count": 53}}, 422, "repeat.count"),
    ("repeat daily", {"repeat": {"every": "day", "count": 3}}, 422, "repeat.every"),
    ("unknown field", {"colour": "blue"}, 422, "colour"),
]


@pytest.mark.parametrize(("case", "changes", "status", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_names_the_field_and_writes_nothing(booker, group, case, changes, status, field):
    response = booker.post("/api/v1/sessions", json=body(group, **changes))

    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"], response.json
    assert response.json["error"]["message"]
    assert session_count() == 0


def test_malformed_json_is_a_400_naming_the_body(booker, group):
    response = booker.client.post("/api/v1/sessions", data='{"group_id": 1, "title": ',
                                  headers={**booker._headers(), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert "body" in response.json["error"]["fields"]
    assert session_count() == 0


def test_a_provider_that_is_not_connected_cannot_be_chosen(booker, group, make, facilitator):
    chosen = booker.post("/api/v1/sessions", json=body(group, provider="zoom", join_url=None))
    zoom_group = make.group(facilitators=[facilitator], provider="zoom")
    defaulted = booker.post("/api/v1/sessions", json=body(zoom_group, join_url=None))

    for response in (chosen, defaulted):
        assert response.status_code == 422
        assert "not connected" in response.json["error"]["fields"]["provider"]
    assert session_count() == 0


def test_a_join_url_is_only_for_the_link_provider(make_app, make, facilitator):
    from tests.support.providers import ZOOM_CONFIG

    app = make_app(FROZEN_NOW=NOW, **ZOOM_CONFIG)
    with app.app_context():
        from tests.support.factories import ApiClient, Factory

        make = Factory(app)
        api = ApiClient(app, make)
        user = make.user("facilitator")
        api.as_user(user)
        group = make.group(facilitators=[user], provider="zoom")
        response = api.post("/api/v1/sessions", json=body(group))
        assert response.status_code == 422
        assert "join_url" in response.json["error"]["fields"]


# Who may book ----------------------------------------------------------------------------------


def test_facilitators_book_only_for_their_own_groups(api, make, group):
    api.as_user("facilitator")
    response = api.post("/api/v1/sessions", json=body(group))
    assert response.status_code == 403
    assert session_count() == 0


def test_admins_book_for_any_group_and_leads_only_read(api, make, group):
    api.as_user("admin")
    created = api.post("/api/v1/sessions", json=body(group))
    assert created.status_code == 201

    api.as_user("lead")
    assert api.post("/api/v1/sessions", json=body(group)).status_code == 403
    assert api.patch(f"/api/v1/sessions/{created.json['id']}", json={"title": "x"}).status_code == 403
    assert api.delete(f"/api/v1/sessions/{created.json['id']}").status_code == 403
    assert api.get(f"/api/v1/sessions/{created.json['id']}").status_code == 200
    assert api.get("/api/v1/sessions").json["sessions"][0]["id"] == created.json["id"]


def test_another_facilitator_cannot_change_or_cancel(api, booker, make, group):
    session_id = booker.post("/api/v1/sessions", json=body(group)).json["id"]
    other = api.__class__(api.client.application, make)
    other.as_user("facilitator")

    assert other.patch(f"/api/v1/sessions/{session_id}", json={"title": "Mine"}).status_code == 403
    assert other.delete(f"/api/v1/sessions/{session_id}").status_code == 403


# Listing ---------------------------------------------------------------------------------------


def test_list_filters_by_group_and_start(booker, group, make, facilitator):
    other = make.group(facilitators=[facilitator], provider="link")
    booker.post("/api/v1/sessions", json=body(group, repeat={"every": "week", "count": 4}))
    booker.post("/api/v1/sessions", json=body(other, starts_at="2026-03-11T10:00:00"))

    everything = booker.get("/api/v1/sessions").json["sessions"]
    of_group = booker.get(f"/api/v1/sessions?group_id={group.id}").json["sessions"]
    window = booker.get(f"/api/v1/sessions?group_id={group.id}&from=2026-03-17&to=2026-03-31").json

    assert len(everything) == 5 and len(of_group) == 4
    assert [s["starts_at"][:10] for s in window["sessions"]] == ["2026-03-17", "2026-03-24"]
    assert booker.get("/api/v1/sessions?from=yesterday").status_code == 422
    assert booker.get("/api/v1/sessions/999999").status_code == 404


# Changing --------------------------------------------------------------------------------------


def test_reschedule_bumps_sequence_and_version(booker, group, monkeypatch):
    changed = []
    monkeypatch.setattr(hooks, "session_changed", lambda s: changed.append((s.sequence, s.starts_at)))
    created = booker.post("/api/v1/sessions", json=body(group)).json

    response = booker.patch(f"/api/v1/sessions/{created['id']}",
                            json={"starts_at": "2026-03-11T11:00:00", "title": "Week 1 (moved)",
                                  "version": created["version"]})

    assert response.status_code == 200, response.json
    data = response.json
    assert data["starts_at"] == "2026-03-11T11:00:00Z"
    assert data["ends_at"] == "2026-03-11T12:30:00Z"  # the length stays
    assert data["title"] == "Week 1 (moved)"
    assert data["sequence"] == 1
    assert data["version"] == created["version"] + 1
    assert changed == [(1, datetime(2026, 3, 11, 11, tzinfo=UTC))]


def test_a_patch_that_changes_nothing_keeps_the_sequence(booker, group):
    created = booker.post("/api/v1/sessions", json=body(group)).json
    response = booker.patch(f"/api/v1/sessions/{created['id']}", json={"title": created["title"]})
    assert response.json["sequence"] == 0


def test_reschedule_this_and_following_keeps_the_local_time(booker, group):
    series = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-16T10:00:00", repeat={"every": "week", "count": 4})).json["sessions"]

    # Move the second one (23 March, GMT) to Tuesday 14:00; the later ones are in BST.
    response = booker.patch(f"/api/v1/sessions/{series[1]['id']}",
                            json={"starts_at": "2026-03-24T14:00:00", "scope": "following"})

    assert response.status_code == 200, response.json
    after = booker.get(f"/api/v1/sessions?group_id={group.id}").json["sessions"]
    local = [utc(s["starts_at"]).astimezone(LONDON).strftime("%a %d %H:%M") for s in after]
    assert local == ["Mon 16 10:00", "Tue 24 14:00", "Tue 31 14:00", "Tue 07 14:00"]
    assert [s["sequence"] for s in after] == [0, 1, 1, 1]


def test_a_concurrent_edit_gets_a_conflict_naming_what_changed(booker, api, make, group):
    created = booker.post("/api/v1/sessions", json=body(group)).json
    admin = api.__class__(api.client.application, make)
    admin.as_user(make.user("admin", name="Ailsa Admin"))

    first = admin.patch(f"/api/v1/sessions/{created['id']}",
                        json={"title": "Renamed by Ailsa", "starts_at": "2026-03-10T11:00:00",
                              "version": created["version"]})
    second = booker.patch(f"/api/v1/sessions/{created['id']}",
                          json={"duration_minutes": 60, "version": created["version"]})

    assert first.status_code == 200
    assert second.status_code == 409
    error = second.json["error"]
    assert set(error["fields"]) == {"title", "starts_at"}
    assert "Ailsa Admin changed this session" in error["message"]
    assert "Renamed by Ailsa" in error["fields"]["title"]
    assert "11:00" in error["fields"]["starts_at"]
    current = booker.get(f"/api/v1/sessions/{created['id']}").json
    assert current["duration_minutes"] == 90  # nothing silently overwritten


def test_patch_refuses_nulls_and_bad_values(booker, group):
    created = booker.post("/api/v1/sessions", json=body(group)).json
    url = f"/api/v1/sessions/{created['id']}"
    assert "title" in booker.patch(url, json={"title": None}).json["error"]["fields"]
    assert "duration_minutes" in booker.patch(url, json={"duration_minutes": 5}).json["error"]["fields"]
    assert "scope" in booker.patch(url, json={"scope": "all"}).json["error"]["fields"]
    assert booker.get(url).json["sequence"] == 0


# Cancelling ------------------------------------------------------------------------------------


def test_cancel_keeps_the_row_and_bumps_the_sequence(booker, group, monkeypatch):
    cancelled = []
    monkeypatch.setattr(hooks, "session_cancelled", lambda s: cancelled.append(s.sequence))
    created = booker.post("/api/v1/sessions", json=body(group)).json
    url = f"/api/v1/sessions/{created['id']}"

    response = booker.delete(url)
    again = booker.delete(url)

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert response.json["sequence"] == 1
    assert again.json["sequence"] == 1  # cancelling twice changes nothing
    assert cancelled == [1]
    assert booker.get(url).json["status"] == "cancelled"
    assert session_count() == 1
    refused = booker.patch(url, json={"title": "Back on"})
    assert refused.status_code == 409


def test_cancel_this_and_following(booker, group):
    series = booker.post("/api/v1/sessions", json=body(
        group, repeat={"every": "week", "count": 4})).json["sessions"]

    booker.delete(f"/api/v1/sessions/{series[2]['id']}?scope=following")

    statuses = [s["status"] for s in booker.get(f"/api/v1/sessions?group_id={group.id}").json["sessions"]]
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled"]


def test_every_change_is_kept_as_a_revision(booker, group):
    created = booker.post("/api/v1/sessions", json=body(group)).json
    booker.patch(f"/api/v1/sessions/{created['id']}", json={"title": "Renamed"})
    booker.delete(f"/api/v1/sessions/{created['id']}")

    db.session.rollback()
    revisions = db.session.scalars(select(MeetingSessionRevision).order_by(MeetingSessionRevision.version))
    assert [(r.version, r.title, r.status) for r in revisions] == [
        (1, "Trauma-informed practice: week 1", "scheduled"), (2, "Renamed", "scheduled"),
        (3, "Renamed", "cancelled")]


def test_the_openapi_document_describes_the_session_operations(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert set(paths["/api/v1/sessions"]) == {"get", "post"}
    assert set(paths["/api/v1/sessions/{session_id}"]) == {"get", "patch", "delete"}


def test_an_unknown_or_impossible_version_is_refused_cleanly(booker, group):
    created = booker.post("/api/v1/sessions", json=body(group)).json
    url = f"/api/v1/sessions/{created['id']}"

    unknown = booker.patch(url, json={"title": "x", "version": 999})
    impossible = booker.patch(url, json={"title": "x", "version": 2**40})
    cancel = booker.delete(f"{url}?version=999")

    assert unknown.status_code == 409
    assert "now at version 1, not 999" in unknown.json["error"]["fields"]["version"]
    assert impossible.status_code == 422 and "version" in impossible.json["error"]["fields"]
    assert cancel.status_code == 409
    assert booker.get(url).json["title"] == created["title"]


# Clashes, past dates, bank holidays, monthly series (issue 14) -----------------------------------


def test_a_clash_with_the_facilitators_other_group_is_409_unless_allowed(booker, group, make, facilitator):
    other = make.group("Highlands PSL", facilitators=[facilitator], provider="link")
    first = booker.post("/api/v1/sessions", json=body(other, title="Highland catch-up"))
    assert first.status_code == 201, first.json

    clash = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-03-10T11:00:00"))

    assert clash.status_code == 409
    said = clash.json["error"]["fields"]["starts_at"]
    assert "“Highland catch-up” (Highlands PSL) on Tuesday 10 March 2026, 10:00–11:30 GMT" in said
    assert session_count() == 1
    allowed = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-03-10T11:00:00",
                                                        allow_clash=True))
    assert allowed.status_code == 201, allowed.json
    back_to_back = booker.post("/api/v1/sessions", json=body(group, starts_at="2026-03-10T12:30:00",
                                                             duration_minutes=30))
    assert back_to_back.status_code == 201, back_to_back.json  # touching is not overlapping


def test_a_cancelled_session_or_another_facilitators_is_no_clash(booker, group, make):
    booked = booker.post("/api/v1/sessions", json=body(group)).json
    booker.delete(f"/api/v1/sessions/{booked['id']}")
    make.group("Someone else's", facilitators=[make.user("facilitator")], provider="link")
    assert booker.post("/api/v1/sessions", json=body(group)).status_code == 201


def test_recording_only_sessions_still_to_come_is_refused(booker, group):
    response = booker.post("/api/v1/sessions", json=body(group, record_only=True))
    assert response.status_code == 422
    assert "record_only" in response.json["error"]["fields"]
    assert session_count() == 0


def test_a_monthly_series_from_the_31st_by_date_or_by_weekday(booker, group):
    by_date = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-31T14:00:00", repeat={"every": "month", "count": 4})).json
    by_weekday = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-10T10:00:00",
        repeat={"every": "month", "count": 4, "monthly_by": "weekday"})).json
    last = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-03-31T16:00:00",
        repeat={"every": "month", "count": 3, "monthly_by": "weekday"})).json

    assert [s["starts_at"][:10] for s in by_date["sessions"]] == [
        "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"]
    # The second Tuesday of each month.
    assert [s["starts_at"][:10] for s in by_weekday["sessions"]] == [
        "2026-03-10", "2026-04-14", "2026-05-12", "2026-06-09"]
    # Tuesday the 31st is a fifth Tuesday: the last Tuesday of each month.
    assert [s["starts_at"][:10] for s in last["sessions"]] == ["2026-03-31", "2026-04-28", "2026-05-26"]
    bad = booker.post("/api/v1/sessions", json=body(
        group, repeat={"every": "month", "count": 2, "monthly_by": "moon"}))
    assert bad.status_code == 422 and "repeat.monthly_by" in bad.json["error"]["fields"]


def test_a_series_can_skip_scottish_bank_holidays_and_keeps_its_count(booker, group):
    # Mondays from 27 April 2026: 4 May (May Day) and 25 May (Spring Bank Holiday) are skipped.
    response = booker.post("/api/v1/sessions", json=body(
        group, starts_at="2026-04-27T10:00:00", repeat={"every": "week", "count": 4, "skip_holidays": True}))

    assert response.status_code == 201, response.json
    assert [s["starts_at"][:10] for s in response.json["sessions"]] == [
        "2026-04-27", "2026-05-11", "2026-05-18", "2026-06-01"]
    assert any("Skipped Monday 4 May 2026 (May Day" in w for w in response.json["warnings"])
