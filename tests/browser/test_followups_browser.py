"""The follow-up screen in Chromium: a facilitator finds a slipping home in their list, logs a
call (every problem of the form at once first), sends "We missed you" after its preview, and
closes the follow-up; the home's page shows the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.followups.opening import open_follow_up
from facilitator.models import FollowUp, MessageKind, OutboxMessage
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory
from tests.support.invites import add_session


def test_a_facilitator_logs_a_call_sends_we_missed_you_and_closes_the_follow_up(live_server, page):
    make = Factory(live_server.app)
    facilitator = make.user("facilitator")
    home = make.home("Taigh na Mara", contacts=2)
    group = make.group("Highlands PSL", facilitators=[facilitator], homes=[home],
                       joined_on=local_today() - timedelta(days=60))
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=6)
    add_session(group, title="Week 7: calm spaces", starts_at=soon, book=False)
    follow_up = open_follow_up(group.id, home.id, "at_risk", "Missed the last 2 sessions.", datetime.now(UTC))
    db.session.commit()
    manager = home.contacts[0]

    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/follow-ups")
    page.get_by_role("link", name="Taigh na Mara").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up: Taigh na Mara")
    page.get_by_role("button", name="Log the contact").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Choose one of: phone")
    expect(summary).to_contain_text("Say what came of the contact.")
    assert serious_accessibility_problems(page) == []

    page.get_by_label("How").select_option(label="Phone")
    page.get_by_label("Whom (a contact of the home)").select_option(label=f"{manager.name} (manager)")
    page.get_by_label("What came of it (no resident details)").fill("Two staff off sick; back next week.")
    page.get_by_label("Next step (optional)", exact=True).fill("Call again on Monday")
    page.get_by_role("button", name="Log the contact").click()
    expect(page.locator(".flashes")).to_contain_text("The contact with Taigh na Mara is logged.")
    expect(page.locator(".contact-log")).to_contain_text(f"phone with {manager.name}")

    page.get_by_role("link", name="Preview “We missed you”").click()
    expect(page.locator(".email-preview")).to_contain_text("Week 7: calm spaces")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Send “We missed you”").click()
    expect(page.locator(".flashes")).to_contain_text("on its way to 2 contacts")
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == MessageKind.MISSED_YOU)) == 2

    page.get_by_label("Outcome").select_option(label="Re-engaged")
    page.get_by_role("button", name="Close the follow-up").click()
    expect(page.locator(".flashes")).to_contain_text("The follow-up is closed.")
    expect(page.locator("[data-figure=state]")).to_contain_text("Closed: re-engaged")
    db.session.rollback()
    assert db.session.get(FollowUp, follow_up.id).state == "closed"

    page.goto(f"{live_server.url}/homes/{home.id}")
    expect(page.locator("table.follow-ups")).to_contain_text("Closed: re-engaged")
