"""The register in Chromium (issue 14): "Confirm present" shows and saves the home as present with
its rating, "Mark all present" then the exceptions, the dashboard's engagement ratings, and the
group's past sessions leading to their registers. axe-core stays clean on each page."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import MeetingSession
from facilitator.models.attendance import AttendanceEntry
from facilitator.models.invites import JoinRecord
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.browser.test_accessibility_browser import ACCOUNTS, PASSWORD, World, seed


def _entries(session_id: int) -> dict[str, tuple[str | None, int | None]]:
    db.session.rollback()  # a fresh read: the server saved in its own transaction
    session = db.session.get(MeetingSession, session_id)
    names = {m.home_id: m.home.name for m in session.group.memberships}
    return {names[e.home_id]: (e.status, e.engagement) for e in db.session.scalars(
        select(AttendanceEntry).where(AttendanceEntry.session_id == session_id))}


def _as_facilitator(page: Page, live_server, world: World) -> None:
    sign_in(page, live_server, ACCOUNTS["facilitator"], PASSWORD)
    page.goto(f"{live_server.url}/sessions/{world.untaken}/register")


def test_confirm_present_marks_the_home_present_and_it_can_be_rated(live_server, page):
    world = seed(live_server)
    session = db.session.get(MeetingSession, world.untaken)
    contact = db.session.get(MeetingSession, world.untaken).group.memberships[0].home.contacts[0]
    db.session.add(JoinRecord(session_id=session.id, home_id=contact.home_id, contact_id=contact.id,
                              joined_at=session.starts_at - timedelta(minutes=3),
                              user_agent_family="Safari on iPad", in_window=True))
    db.session.commit()
    _as_facilitator(page, live_server, world)
    row = page.get_by_role("group", name="Rowan Court")
    expect(row.get_by_label("Attendance")).to_have_value("")
    row.get_by_label("Confirm present: they opened the join link").check()
    expect(row.get_by_label("Attendance")).to_have_value("present")
    row.get_by_label("Engagement").select_option("3")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Save register").click()
    expect(page.locator(".flashes")).to_contain_text("saved")
    assert _entries(world.untaken)["Rowan Court"] == ("present", 3)


def test_mark_all_present_then_the_exceptions(live_server, page):
    world = seed(live_server)
    _as_facilitator(page, live_server, world)
    page.get_by_role("button", name="Mark all present").click()
    expect(page.get_by_role("status")).to_contain_text("Every home is marked present")
    assert _entries(world.untaken) == {}  # nothing saved yet
    for name in ("Rowan Court", "Seaview House"):
        expect(page.get_by_role("group", name=name).get_by_label("Attendance")).to_have_value("present")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("group", name="Seaview House").get_by_label("Attendance").select_option("absent")
    page.get_by_role("button", name="Save register").click()
    expect(page.locator(".flashes")).to_contain_text("saved")
    assert _entries(world.untaken) == {"Rowan Court": ("present", None), "Seaview House": ("absent", None)}


def test_the_dashboard_shows_each_homes_average_rating_and_trend(live_server, page):
    seed(live_server)
    sign_in(page, live_server, ACCOUNTS["lead"], PASSWORD)
    page.goto(f"{live_server.url}/reports/attendance")
    expect(page.get_by_role("columnheader", name="Engagement rating")).to_be_visible()
    cells = page.locator("table.engagement td[data-figure=rating]").all_inner_texts()
    rated = [c for c in cells if c != "Not rated"]
    assert rated and all(c[:3].replace(".", "").isdigit() for c in rated), cells
    assert any(word in c for c in rated for word in ("up from", "down from", "steady")), rated
    assert serious_accessibility_problems(page) == []


def test_a_past_session_on_the_group_page_leads_to_its_register(live_server, page):
    world = seed(live_server)
    sign_in(page, live_server, ACCOUNTS["facilitator"], PASSWORD)
    page.goto(f"{live_server.url}/groups/{world.group}")
    page.get_by_text("Past sessions", exact=True).click()
    link = page.get_by_role("link", name="Register of Week 8: staff wellbeing")
    expect(link).to_be_visible()
    assert serious_accessibility_problems(page) == []
    link.click()
    page.wait_for_url(f"{live_server.url}/sessions/{world.untaken}/register")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Week 8: staff wellbeing")
