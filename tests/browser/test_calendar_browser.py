"""Issue 14, item 6 in Chromium, at desktop and iPad sizes: a facilitator opens their calendar from
the nav, sees the week with today marked and a clash named in words, moves to the month and on to
the next one, and opens a session from it. Plain links: it works without JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from facilitator import providers
from facilitator.booking import services
from facilitator.extensions import db
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory

NOW = "2026-03-04T09:00:00+00:00"  # a Wednesday
LINK = "https://meet.example.org/psl"


def book(user, group, start: datetime, title: str, **changes):
    booking = services.Booking(title, start, 90, provider="link", join_url=LINK, allow_clash=True, **changes)
    result = services.book_sessions(user, group, booking, providers.hub(), zone="Europe/London",
                                    now=datetime.fromisoformat(NOW))
    db.session.commit()
    return result.sessions[0]


def seed(live):
    make = Factory(live.app)
    fiona = make.user("facilitator", name="Fiona Facilitator")
    fife = make.group("Fife Cohort 3", facilitators=[fiona], provider="link")
    tayside = make.group("Tayside Cohort 1", facilitators=[fiona], provider="link")
    book(fiona, fife, datetime(2026, 3, 4, 10, tzinfo=UTC), "Fife PSL")
    book(fiona, tayside, datetime(2026, 3, 4, 11, tzinfo=UTC), "Tayside PSL")
    dropped = book(fiona, tayside, datetime(2026, 3, 6, 14, tzinfo=UTC), "Dropped session")
    services.cancel_sessions(fiona, dropped, now=datetime.fromisoformat(NOW))
    april = book(fiona, fife, datetime(2026, 4, 8, 10, tzinfo=UTC), "April PSL")
    db.session.commit()
    return fiona, april


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth")


@pytest.mark.parametrize("size", ["desktop", "ipad"])
def test_a_facilitator_finds_a_clash_in_the_week_and_a_session_in_next_month(make_live_server, request, size):
    live = make_live_server(FROZEN_NOW=NOW)
    fiona, april = seed(live)
    page = request.getfixturevalue("ipad_page" if size == "ipad" else "page")
    sign_in(page, live, fiona.email, PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("Week of Monday 2 March 2026")
    today = page.locator('[aria-current="date"]')
    expect(today).to_contain_text("Wednesday 4 March")
    expect(today).to_contain_text("Today")
    clashes = today.locator(".cal-entry.is-clash")
    expect(clashes).to_have_count(2)
    expect(clashes.first).to_contain_text("Clash")
    expect(clashes.first).to_contain_text("Overlaps “Tayside PSL”")
    expect(page.locator(".cal-entry.is-cancelled")).to_contain_text("Cancelled")
    assert serious_accessibility_problems(page) == []
    assert no_sideways_scroll(page)

    page.get_by_role("link", name="Month view").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("March 2026")
    expect(page.locator("table.calendar-month tbody tr")).to_have_count(6)  # 23 February to 5 April
    page.get_by_role("link", name="Next month →").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("April 2026")
    assert serious_accessibility_problems(page) == []
    assert no_sideways_scroll(page)

    page.get_by_role("link", name="11:00–12:30 April PSL").click()
    page.wait_for_url(f"{live.url}/sessions/{april.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("April PSL")


def test_rescheduling_into_a_clash_asks_for_save_anyway_and_the_calendar_shows_it(make_live_server, page):
    live = make_live_server(FROZEN_NOW=NOW)
    fiona, april = seed(live)
    sign_in(page, live, fiona.email, PASSWORD)
    page.goto(f"{live.url}/sessions/{april.id}/reschedule")
    page.get_by_label("Date").fill("2026-03-04")
    page.get_by_label("Start time").fill("10:30")

    page.get_by_role("button", name="Check the new time").click()
    clashes = page.locator(".clashes")
    expect(clashes.get_by_role("heading", name="2 clashes")).to_be_visible()
    expect(clashes).to_contain_text("already booked for “Fife PSL”")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("Tick “Save anyway”")

    page.get_by_label("Save anyway").check()
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(f"{live.url}/sessions/{april.id}")
    page.goto(f"{live.url}/calendar")
    expect(page.locator('[aria-current="date"] .cal-entry.is-clash')).to_have_count(3)
