"""The booking screens: book from the group page, preview a series, see, reschedule, cancel, retry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from facilitator import providers
from facilitator.booking import services, sync
from facilitator.extensions import db
from facilitator.models import MeetingSession, User
from facilitator.providers import gate

NOW = "2026-03-02T09:00:00+00:00"
LINK = "https://meet.example.org/psl-group"


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=NOW)
    with app.app_context():
        yield app


@pytest.fixture
def facilitator(make):
    return make.user("facilitator", name="Fiona Facilitator")


@pytest.fixture
def group(make, facilitator):
    return make.group("Fife Cohort 3", facilitators=[facilitator], homes=[make.home()], provider="link")


def form(**changes):
    values = {"title": "PSL session", "date": "2026-03-16", "start_time": "10:00", "duration_minutes": "90",
              "provider": "link", "join_url": LINK, "repeat_every": "", "repeat_count": "1", "book": "Book"}
    values.update(changes)
    return values


def sessions() -> list[MeetingSession]:
    db.session.rollback()
    return list(db.session.scalars(select(MeetingSession).order_by(MeetingSession.starts_at)))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def book_one(user, group, **changes) -> MeetingSession:
    booking = services.Booking("PSL session", datetime(2026, 3, 16, 10, tzinfo=UTC), 90, provider="link",
                               join_url=LINK, **changes)
    result = services.book_sessions(user, group, booking, providers.hub(), zone="Europe/London",
                                    now=datetime.fromisoformat(NOW))
    db.session.commit()
    return result.sessions[0]


def test_the_group_page_offers_booking_to_its_facilitators_only(auth, client, make, group, facilitator):
    auth.login(facilitator)
    assert "Book a session" in text(client.get(f"/groups/{group.id}"))

    for other in (make.user("facilitator"), make.user("lead")):
        auth.logout()
        auth.login(other)
        assert "Book a session" not in text(client.get(f"/groups/{group.id}"))
        assert client.get(f"/groups/{group.id}/sessions/new").status_code == 403


def test_the_form_defaults_to_the_group_and_marks_providers_not_connected(auth, client, group, facilitator):
    auth.login(facilitator)
    page = text(client.get(f"/groups/{group.id}/sessions/new"))

    assert '<option selected value="link">Meeting link</option>' in page
    assert re.search(r'<option disabled value="zoom">Zoom \(not connected\)</option>', page)
    assert "Time in Europe/London" in page
    assert '<script src="/static/js/booking.js" defer></script>' in page
    assert "<script>" not in page and "style=" not in page  # the CSP allows neither


def test_checking_a_series_shows_its_dates_and_warns_of_the_clock_change(auth, client, group, facilitator):
    auth.login(facilitator)
    data = form(repeat_every="week", repeat_count="4", book=None, preview="Check the dates")
    data.pop("book")

    page = text(auth.post(f"/groups/{group.id}/sessions/new", data))

    assert "4 sessions" in page
    assert "crosses a clock change (the clocks go forward between 23 March and 30 March 2026)" in page
    assert "Sessions stay at 10:00 Europe/London time; in UTC they move from 10:00 to 09:00" in page
    assert "10:00 GMT" in page and "10:00 BST" in page
    assert sessions() == []  # only checked, nothing booked


@pytest.mark.parametrize(("day", "said", "times"), [
    ("2026-03-29", "01:30 does not exist on 29 March 2026 in Europe/London (the clocks go forward)",
     ["00:30 GMT (00:30 UTC)", "02:30 BST (01:30 UTC)"]),
    ("2026-10-25", "01:30 happens twice on 25 October 2026 in Europe/London (the clocks go back)",
     ["01:30 BST (00:30 UTC)", "01:30 GMT (01:30 UTC)"]),
], ids=["spring-gap", "autumn-overlap"])
def test_checking_a_single_session_at_a_time_the_clocks_skip_or_repeat_names_both_times(
        auth, client, group, facilitator, day, said, times):
    auth.login(facilitator)
    data = form(date=day, start_time="01:30", preview="Check the dates")
    data.pop("book")
    page = text(auth.post(f"/groups/{group.id}/sessions/new", data))
    assert said in page
    assert f"either {times[0]} or {times[1]}" in page
    assert sessions() == []


def test_a_single_session_at_an_ordinary_time_gets_no_clock_warning(auth, client, group, facilitator):
    auth.login(facilitator)
    data = form(date="2026-03-29", start_time="02:30", preview="Check the dates")
    data.pop("book")
    page = text(auth.post(f"/groups/{group.id}/sessions/new", data))
    assert "clock-change" not in page and "does not exist" not in page


def test_booking_a_weekly_series_from_the_form(auth, client, group, facilitator):
    auth.login(facilitator)

    response = auth.post(f"/groups/{group.id}/sessions/new", form(repeat_every="week", repeat_count="4"))

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/groups/{group.id}#sessions")
    booked = sessions()
    assert [s.starts_at.strftime("%d %H:%M") for s in booked] == ["16 10:00", "23 10:00", "30 09:00",
                                                                  "06 09:00"]
    assert len({s.series_id for s in booked}) == 1
    assert {s.created_by_id for s in booked} == {facilitator.id}
    page = text(client.get(f"/groups/{group.id}"))
    assert "Booked 4 sessions" in page
    assert "clocks go forward" in page
    assert page.count('class="session-row') == 4
    assert "Monday 30 March 2026, 10:00" in page  # shown in local time


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"join_url": "http://meet.example.org/x"}, "join_url", "must start with https://"),
    ({"duration_minutes": "1000"}, "duration_minutes", "Between 15 and 480 minutes."),
    ({"title": ""}, "title", "Enter a title."),
    ({"repeat_every": "week", "repeat_count": "60"}, "repeat_count", "From 1 to 52 sessions."),
    ({"date": "2031-01-01"}, "date", "up to two years ahead"),
    ({"provider": "zoom", "join_url": ""}, "provider", "Zoom is not connected"),
])
def test_a_bad_booking_shows_the_problem_next_to_the_field(auth, group, facilitator, changes, field, message):
    auth.login(facilitator)

    response = auth.post(f"/groups/{group.id}/sessions/new", form(**changes))

    assert response.status_code == 422
    page = text(response)
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{re.escape(message)}', page), page
    assert sessions() == []


def test_the_session_page_shows_the_meeting_and_its_series(auth, client, group, facilitator):
    session = book_one(facilitator, group, every="week", count=2)
    auth.login(facilitator)

    page = text(client.get(f"/sessions/{session.id}"))

    assert "Monday 16 March 2026, 10:00" in page
    assert f'href="{LINK}"' in page
    assert "Reschedule" in page and "Cancel session" in page
    assert "All sessions of this series" in page


def test_readers_see_a_session_without_the_actions(auth, client, make, group, facilitator):
    session = book_one(facilitator, group)
    auth.login(make.user("lead"))

    page = text(client.get(f"/sessions/{session.id}"))

    assert "PSL session" in page
    assert "Reschedule" not in page
    assert client.get(f"/sessions/{session.id}/reschedule").status_code == 403


def test_reschedule_from_the_session_page(auth, client, group, facilitator):
    session = book_one(facilitator, group)
    auth.login(facilitator)
    page = text(client.get(f"/sessions/{session.id}/reschedule"))
    assert 'value="2026-03-16"' in page and 'value="10:00"' in page

    response = auth.post(f"/sessions/{session.id}/reschedule",
                         {"title": "PSL session (moved)", "date": "2026-04-01", "start_time": "14:30",
                          "duration_minutes": "60", "scope": "this", "version": str(session.version)})

    assert response.status_code == 302
    moved = sessions()[0]
    assert moved.starts_at == datetime(2026, 4, 1, 13, 30, tzinfo=UTC)  # 14:30 BST
    assert moved.duration_minutes == 60 and moved.sequence == 1
    assert "Saved" in text(client.get(f"/sessions/{session.id}"))


def test_a_conflicting_reschedule_says_what_changed_and_saves_nothing(auth, client, make, group, facilitator):
    session = book_one(facilitator, group)
    auth.login(facilitator)
    seen_version = str(session.version)
    admin = make.user("admin", name="Ailsa Admin")
    services.reschedule_sessions(admin, db.session.get(MeetingSession, session.id),
                                 now=datetime.fromisoformat(NOW), title="Changed by Ailsa")
    db.session.commit()

    response = auth.post(f"/sessions/{session.id}/reschedule",
                         {"title": "Mine", "date": "2026-03-16", "start_time": "11:00",
                          "duration_minutes": "90", "scope": "this", "version": seen_version})

    assert response.status_code == 409
    page = text(response)
    assert "Ailsa Admin changed this session while you were editing it" in page
    assert "the title is now “Changed by Ailsa”" in page
    assert sessions()[0].title == "Changed by Ailsa"
    version_field = re.search(r'name="version" type="hidden" value="(\d+)"', page) or \
        re.search(r'id="version" name="version" type="hidden" value="(\d+)"', page)
    assert version_field and version_field.group(1) == str(sessions()[0].version)


def test_cancel_from_the_session_page(auth, client, group, facilitator):
    session = book_one(facilitator, group, every="week", count=3)
    auth.login(facilitator)
    assert "This and the later sessions" in text(client.get(f"/sessions/{session.id}/cancel"))

    response = auth.post(f"/sessions/{session.id}/cancel", {"scope": "following",
                                                             "version": str(session.version)})

    assert response.status_code == 302
    assert [s.status for s in sessions()] == ["cancelled"] * 3
    page = text(client.get(f"/sessions/{session.id}"))
    assert "Cancelled 3 sessions" in page and "This session is cancelled." in page


def test_a_failed_session_shows_the_reason_and_can_be_retried(auth, client, group, facilitator):
    session = book_one(facilitator, group)
    db.session.execute(MeetingSession.__table__.update().values(
        sync_state="failed", sync_action="update", sync_error="Zoom refused the request: bad topic"))
    db.session.commit()
    auth.login(facilitator)

    page = text(client.get(f"/sessions/{session.id}"))
    assert "Zoom refused the request: bad topic" in page
    assert "Try again" in page

    auth.post(f"/sessions/{session.id}/retry", {}, page=f"/sessions/{session.id}")

    saved = sessions()[0]
    assert (saved.sync_state, saved.sync_error) == ("synced", None)  # a link update always succeeds


def test_an_open_circuit_shows_a_banner_where_people_book(auth, client, app, group, facilitator):
    now = datetime.fromisoformat(NOW)
    call = SimpleNamespace(provider="zoom", host=None, timezone="Europe/London")
    for _ in range(app.config["CIRCUIT_FAILURE_THRESHOLD"]):
        gate.settle(call, sync.Outcome("retry", message="Zoom timed out.", provider_down=True), now)
    db.session.commit()
    auth.login(facilitator)

    for url in (f"/groups/{group.id}", f"/groups/{group.id}/sessions/new"):
        assert "Zoom is not answering at the moment. Bookings are still saved" in text(client.get(url))


def test_facilitators_see_their_upcoming_sessions_on_the_home_page(auth, client, make, group, facilitator):
    book_one(facilitator, group)
    other_group = make.group(provider="link")
    book_one(make.user("admin"), other_group)
    auth.login(facilitator)

    page = text(client.get("/"))

    assert "Your upcoming sessions" in page
    assert page.count("Monday 16 March 2026, 10:00") == 1
    assert "Fife Cohort 3" in page


def test_admins_see_which_providers_are_connected_and_map_zoom_hosts(auth, client, make, facilitator):
    auth.login("admin")
    page = text(client.get("/video-providers"))
    assert "Not connected: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_HOST_USER" in page

    refused = auth.post("/video-providers", {f"host-{facilitator.id}": "me"})
    assert refused.status_code == 422
    assert "(not &#39;me&#39;)" in text(refused)

    auth.post("/video-providers", {f"host-{facilitator.id}": " fiona.zoom@example.org "})
    db.session.rollback()
    assert db.session.get(User, facilitator.id).zoom_host_user == "fiona.zoom@example.org"


# Clashes, past dates, bank holidays, monthly series (issue 14) -----------------------------------


def test_the_preview_lists_clashes_and_book_needs_book_anyway(auth, client, make, group, facilitator):
    other = make.group("Highlands PSL", facilitators=[facilitator], provider="link")
    book_one(facilitator, other)  # Monday 16 March 2026, 10:00–11:30 UTC (GMT)
    auth.login(facilitator)
    preview = form(start_time="11:00", repeat_every="week", repeat_count="2", preview="Check the dates")
    preview.pop("book")

    page = text(auth.post(f"/groups/{group.id}/sessions/new", preview))

    assert "1 clash" in page
    assert ("16 March: Fiona Facilitator is already booked for “PSL session” (Highlands PSL) on "
            "Monday 16 March 2026, 10:00–11:30 GMT.") in page
    assert 'name="allow_clash"' in page
    refused = auth.post(f"/groups/{group.id}/sessions/new", form(start_time="11:00"))
    assert refused.status_code == 409
    assert re.search(r'<p class="field-error" id="date-error">[^<]*already booked', text(refused))
    assert len(sessions()) == 1
    booked = auth.post(f"/groups/{group.id}/sessions/new", form(start_time="11:00", allow_clash="y"))
    assert booked.status_code == 302
    assert len(sessions()) == 2


def test_a_past_date_needs_the_record_a_past_session_choice(auth, client, group, facilitator):
    auth.login(facilitator)
    past = form(date="2026-02-23", join_url="")

    refused = auth.post(f"/groups/{group.id}/sessions/new", past)

    assert refused.status_code == 422
    assert re.search(r'<p class="field-error" id="date-error">This date has passed[^<]*'
                     r'Record a past session \(no meeting, no invitations\)', text(refused))
    assert sessions() == []
    recorded = auth.post(f"/groups/{group.id}/sessions/new", {**past, "record_only": "y"})
    assert recorded.status_code == 302
    assert len(sessions()) == 1
    page = text(client.get(f"/groups/{group.id}"))
    assert "Recorded 1 session that already happened: no meeting was made and no one was invited." in page
    assert "Booked 1 session" not in page


def test_the_preview_warns_of_bank_holidays_and_a_series_can_skip_them(auth, client, group, facilitator):
    auth.login(facilitator)
    data = form(date="2026-04-27", repeat_every="week", repeat_count="3", preview="Check the dates")
    data.pop("book")

    page = text(auth.post(f"/groups/{group.id}/sessions/new", data))
    assert "Monday 4 May 2026 is a bank holiday in Scotland (May Day)." in page

    skipping = text(auth.post(f"/groups/{group.id}/sessions/new", {**data, "skip_holidays": "y"}))
    assert "Skipped Monday 4 May 2026 (May Day, a bank holiday in Scotland)" in skipping
    assert "Monday 11 May 2026" in skipping and "Monday 18 May 2026" in skipping
    assert "Monday 4 May 2026</td>" not in skipping


@pytest.mark.parametrize(("monthly_by", "said", "dates"), [
    ("date", "Every month on the same date: the 31st. Months without that date use their last day: "
     "30 April 2026, 30 June 2026.",
     ["Tuesday 31 March 2026", "Thursday 30 April 2026", "Sunday 31 May 2026"]),
    ("weekday", "Every month on the same weekday: the last Tuesday of each month.",
     ["Tuesday 31 March 2026", "Tuesday 28 April 2026", "Tuesday 26 May 2026"]),
])
def test_a_monthly_series_from_the_31st_says_which_rule_it_follows(auth, group, facilitator, monthly_by,
                                                                   said, dates):
    auth.login(facilitator)
    data = form(date="2026-03-31", repeat_every="month", repeat_count="4", monthly_by=monthly_by,
                preview="Check the dates")
    data.pop("book")

    page = text(auth.post(f"/groups/{group.id}/sessions/new", data))

    assert said in page
    assert all(f"{day}</td>" in page for day in dates)
