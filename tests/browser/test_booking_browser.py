"""A facilitator books a weekly series in headless Chromium, across a clock change."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from facilitator.booking import sync
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
