"""A facilitator books a weekly series in headless Chromium, across a clock change; the preview
names clashes, Scottish bank holidays and a monthly series' rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from facilitator import providers
from facilitator.booking import calendar_notes, services, sync, times
from facilitator.extensions import db
from facilitator.models import MeetingSession
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory

LONDON = ZoneInfo("Europe/London")


def monday_before_the_clocks_go_forward() -> date:
    """The Monday two weeks before the next last Sunday of March that is at least a week away."""
    today = datetime.now(UTC).date()
    for year in (today.year, today.year + 1):
        last_sunday = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
        monday = last_sunday - timedelta(days=13)
        if monday > today + timedelta(days=7):
            return monday
    raise AssertionError("unreachable")


def test_a_facilitator_books_a_weekly_series(live_server, page):
    make = Factory(live_server.app)
    facilitator = make.user("facilitator", name="Fiona Facilitator")
    group = make.group("Fife Cohort 3", facilitators=[facilitator], homes=[make.home()], provider="link")
    db.session.commit()
    first = monday_before_the_clocks_go_forward()

    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/groups/{group.id}")
    page.get_by_role("link", name="Book a session").click()
    page.get_by_label("Title").fill("Noticing trauma in daily care")
    page.get_by_label("Date").fill(first.isoformat())
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Length (minutes)").fill("90")
    assert page.get_by_label("Video provider").input_value() == "link"
    page.get_by_label("Meeting link").fill("https://meet.example.org/fife-cohort-3")
    assert not page.get_by_label("Number of sessions").is_visible()  # only for a series
    page.get_by_label("Repeat").select_option("week")
    page.get_by_label("Number of sessions").fill("6")
    assert serious_accessibility_problems(page) == []

    page.get_by_role("button", name="Check the dates").click()
    preview = page.locator(".preview")
    assert preview.get_by_role("heading", name="6 sessions").is_visible()
    assert "the clocks go forward" in page.locator(".clock-change").inner_text()
    assert preview.locator("tbody tr").count() == 6

    page.get_by_role("button", name="Book").click()
    page.wait_for_url(f"{live_server.url}/groups/{group.id}#sessions")
    assert "Booked 6 sessions" in page.locator(".flashes").inner_text()
    assert page.locator("tr.session-row").count() == 6
    assert serious_accessibility_problems(page) == []

    db.session.rollback()
    booked = list(db.session.scalars(select(MeetingSession).order_by(MeetingSession.starts_at)))
    assert len(booked) == 6 and len({s.series_id for s in booked}) == 1
    local = [s.starts_at.astimezone(LONDON) for s in booked]
    assert [t.date() for t in local] == [first + timedelta(weeks=i) for i in range(6)]
    assert {t.strftime("%H:%M") for t in local} == {"10:00"}
    # The booking sent the first SYNC_INLINE_LIMIT (5) itself; the worker does the rest.
    assert [s.sync_state for s in booked] == ["synced"] * 5 + ["pending"]
    assert sync.drain().counts["done"] == 1
    assert booked[0].starts_at.hour != booked[-1].starts_at.hour  # the UTC time moved, not the local


def a_bank_holiday_with_an_ordinary_week_before() -> date:
    """The next Scottish bank holiday at least ten days away whose week-before day is no holiday."""
    today = datetime.now(UTC).date()
    day = today + timedelta(days=10)
    holiday = calendar_notes.is_bank_holiday
    while not (holiday(day) and not holiday(day - timedelta(days=7))):
        day += timedelta(days=1)
    return day


def the_next_31st() -> date:
    day = datetime.now(UTC).date() + timedelta(days=3)
    while day.day != 31:
        day += timedelta(days=1)
    return day


def test_the_preview_names_clashes_bank_holidays_and_the_monthly_rule(live_server, page):
    make = Factory(live_server.app)
    facilitator = make.user("facilitator", name="Fiona Facilitator")
    group = make.group("Fife Cohort 3", facilitators=[facilitator], homes=[make.home()], provider="link")
    other = make.group("Highlands PSL", facilitators=[facilitator], provider="link")
    holiday = a_bank_holiday_with_an_ordinary_week_before()
    first = holiday - timedelta(days=7)
    services.book_sessions(facilitator, other, services.Booking(
        "Highland catch-up", times.local_moment(first, time(10, 30), "Europe/London"), 60, provider="link",
        join_url="https://meet.example.org/highlands"), providers.hub(), zone="Europe/London",
        now=datetime.now(UTC))
    db.session.commit()

    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/groups/{group.id}/sessions/new")
    record = page.get_by_label("Record a past session (no meeting, no invitations)")
    page.get_by_label("Date").fill((datetime.now(UTC).date() - timedelta(days=7)).isoformat())
    assert record.is_visible()  # offered for a date that has passed
    page.get_by_label("Date").fill(first.isoformat())
    assert not record.is_visible()
    page.get_by_label("Start time").fill("10:00")
    page.get_by_label("Meeting link").fill("https://meet.example.org/fife-cohort-3")
    assert not page.get_by_label("Skip bank holidays in Scotland").is_visible()  # only for a series
    page.get_by_label("Repeat").select_option("week")
    page.get_by_label("Number of sessions").fill("3")
    assert not page.get_by_label("Every month").is_visible()  # only for a monthly series
    page.get_by_role("button", name="Check the dates").click()

    clashes = page.locator(".clashes")
    assert "1 clash" in clashes.inner_text()
    assert "already booked for “Highland catch-up” (Highlands PSL)" in clashes.inner_text()
    warned = " ".join(page.locator(".bank-holiday").all_inner_texts())
    assert f"{holiday:%A %-d %B %Y} is a bank holiday in Scotland" in warned
    assert serious_accessibility_problems(page) == []

    page.get_by_role("button", name="Book", exact=True).click()
    assert "already booked" in page.locator("#date-error").inner_text()  # refused without the tick
    page.get_by_label("Book anyway").check()
    page.get_by_role("button", name="Book", exact=True).click()
    page.wait_for_url(f"{live_server.url}/groups/{group.id}#sessions")
    assert "Booked 3 sessions" in page.locator(".flashes").inner_text()

    page.goto(f"{live_server.url}/groups/{group.id}/sessions/new")
    thirty_first = the_next_31st()
    page.get_by_label("Date").fill(thirty_first.isoformat())
    page.get_by_label("Start time").fill("16:00")
    page.get_by_label("Meeting link").fill("https://meet.example.org/fife-cohort-3")
    page.get_by_label("Repeat").select_option("month")
    page.get_by_label("Number of sessions").fill("3")
    page.get_by_label("Every month").select_option("weekday")
    page.get_by_role("button", name="Check the dates").click()
    assert (f"Every month on the same weekday: the last {thirty_first:%A} of each month."
            in page.locator(".series-rule").inner_text())
    page.get_by_label("Every month").select_option("date")
    page.get_by_role("button", name="Check the dates").click()
    rule = page.locator(".series-rule").inner_text()
    assert "Every month on the same date: the 31st. Months without that date use their last day:" in rule
    assert serious_accessibility_problems(page) == []
