"""A join link and a contact's page on a shared iPad (1024×768, touch) in headless Chromium."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token, mint_join_token
from facilitator.models import JoinRecord, LinkKind
from tests.browser.conftest import IPAD, LiveServer, serious_accessibility_problems
from tests.support.factories import Factory
from tests.support.invites import JOINED, START, add_session, set_now


@pytest.fixture
def links(live_server: LiveServer):
    """A session next week whose meeting URL is the live server's health check (no internet)."""
    app = live_server.app
    set_now(app, START - timedelta(days=2))
    make = Factory(app)
    home = make.home("Taigh na Mara", contacts=1)
    group = make.group("Highlands and Islands PSL", facilitators=[make.user("facilitator")], homes=[home],
                       joined_on=JOINED)
    session = add_session(group, title="Peer Support and Learning", join_url=f"{live_server.url}/healthz",
                          dial_in="+44 131 460 1196", passcode="424242")
    contact = home.contacts[0]
    join, personal = mint_join_token(session, contact), mint_contact_token(contact)
    mint_contact_token(contact, LinkKind.FEED)  # as an email would have: the page shows it
    db.session.commit()
    return session, f"{live_server.url}/j/{join}", f"{live_server.url}/h/{personal}", join


def joins() -> list[JoinRecord]:
    db.session.rollback()
    return list(db.session.scalars(select(JoinRecord).order_by(JoinRecord.id)))


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024, "no sideways scrolling"
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 18, f"readable at arm's length ({size}px)"


def big_enough(locator) -> None:
    # Measured with its stylesheet, not before it arrives: after a tap the new page's "load" may not
    # have been reached yet while its stylesheet is still being revalidated.
    locator.page.wait_for_load_state("networkidle")
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 60 and box["width"] >= 280, box


def test_a_join_link_on_the_shared_ipad(live_server, ipad_page, links, caplog):
    session, join_link, _, token = links
    app = live_server.app
    caplog.set_level(logging.INFO, logger="werkzeug")

    ipad_page.goto(join_link)
    expect(ipad_page.get_by_role("heading", name="Peer Support and Learning")).to_be_visible()
    expect(ipad_page.get_by_text("Tuesday 4 March, 10:00–11:30 (UK time)")).to_be_visible()
    expect(ipad_page.get_by_text("Starts in 2 days")).to_be_visible()
    expect(ipad_page.get_by_text("+44 131 460 1196")).to_be_visible()
    button = ipad_page.get_by_role("link", name="Join the session")
    big_enough(button)
    big_enough(ipad_page.get_by_role("link", name="Add to calendar"))
    fits_the_screen(ipad_page)
    assert serious_accessibility_problems(ipad_page) == []

    button.tap()  # too early: the page comes back, saying when it opens
    expect(ipad_page.get_by_text("The button takes you into the meeting from")).to_be_visible()

    set_now(app, START - timedelta(minutes=10))
    ipad_page.get_by_role("link", name="Join the session").tap()
    ipad_page.wait_for_url(f"{live_server.url}/healthz")  # the 303 to the stored meeting URL

    records = joins()
    assert len(records) == 3 and [r.in_window for r in records] == [False, False, True]
    assert {r.user_agent_family for r in records} == {"Safari on iPad"}
    assert token not in caplog.text, "the token never reaches the access log"
    assert "/j/[redacted]" in caplog.text


def test_the_contacts_page_on_the_shared_ipad_without_javascript(live_server, browser: Browser, ipad_page,
                                                                 links):
    session, _, home_link, _ = links
    ipad_page.goto(home_link)  # with JavaScript, for the accessibility check only
    assert serious_accessibility_problems(ipad_page) == []

    context = browser.new_context(**IPAD, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(home_link)
        expect(page.get_by_role("heading", name="Taigh na Mara", level=1)).to_be_visible()
        expect(page.get_by_role("heading", name="Coming up")).to_be_visible()
        big_enough(page.get_by_role("link", name="Add to calendar").first)
        expect(page.get_by_role("link", name="Join now")).to_have_count(0)  # not in its window yet
        expect(page.get_by_text("Changes and cancellations always come by email")).to_be_visible()
        for name in ("iPad or iPhone", "Outlook", "Google Calendar"):
            expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        expect(page.locator(".feed-url code")).to_contain_text("/feeds/")
        big_enough(page.get_by_role("link", name="Subscribe on this iPad or iPhone"))
        fits_the_screen(page)

        page.get_by_role("link", name="Stop reminders").tap()
        stop = page.get_by_role("button", name="Stop reminder emails")
        big_enough(stop)
        stop.tap()  # a plain form post: works with JavaScript off
        expect(page.get_by_text("Done: we will not send you reminders.")).to_be_visible()
    finally:
        context.close()


def test_the_contacts_page_puts_the_live_session_first_and_keeps_itself_up_to_date(live_server, ipad_page,
                                                                                  links):
    session, _, home_link, _ = links
    app = live_server.app
    add_session(session.group, title="The week after", starts_at=START + timedelta(days=7),
                join_url=f"{live_server.url}/healthz")
    set_now(app, START - timedelta(minutes=20))  # before the join window
    ipad_page.clock.install()
    ipad_page.goto(home_link)
    expect(ipad_page.locator(".live-badge")).to_have_count(0)
    (facilitator,) = session.group.facilitators  # named, with how to reach them
    expect(ipad_page.get_by_role("link", name=facilitator.email)).to_have_attribute(
        "href", f"mailto:{facilitator.email}")
    expect(ipad_page.get_by_role("link", name="Join now")).to_have_count(0)

    set_now(app, START - timedelta(minutes=5))  # the iPad is left on the page; the window opens
    ipad_page.clock.run_for("01:05")
    badge = ipad_page.locator(".session-card").first.locator(".live-badge")
    expect(badge).to_have_text("Starts in 5 minutes")
    expect(ipad_page.locator(".session-card").nth(1)).to_contain_text("The week after")
    assert ipad_page.locator("a.button:not(.secondary), button.button:not(.secondary)").count() == 1
    join = ipad_page.get_by_role("link", name="Join now")
    big_enough(join)
    assert serious_accessibility_problems(ipad_page) == []

    set_now(app, START + timedelta(minutes=3))
    ipad_page.clock.run_for("01:05")
    expect(badge).to_have_text("Live now")

    join.tap()  # the meeting opens in this tab, as the join page says: no second tab
    ipad_page.wait_for_url(f"{live_server.url}/healthz")
    assert len(ipad_page.context.pages) == 1
