"""In Chromium, an admin: hands a leaving facilitator's group over (issue 14, item 18), searches,
sorts and pages the homes table with JavaScript off (item 20), and adds a user who sets their own
password from the welcome email (item 17). Pages on the way are checked with axe-core (where
JavaScript is on: axe runs in the page)."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from facilitator.admin import services
from facilitator.extensions import db
from facilitator.invites import outbox
from facilitator.models import Group
from tests.browser.conftest import LiveServer, serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory
from tests.test_outbox import SmtpServer

NEW_PASSWORD = "heather bothy kettle lantern"  # noqa: S105 - a test value


def accessible(page: Page, name: str) -> None:
    assert serious_accessibility_problems(page) == [], name


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def live(make_live_server: Any, smtp: SmtpServer) -> LiveServer:
    return make_live_server(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port,
                            SMTP_STARTTLS=False, SMTP_TIMEOUT=5)


def test_deactivating_the_only_facilitator_hands_the_group_over(live, page):
    make = Factory(live.app)
    admin = make.user("admin", name="Iona Admin")
    ailsa = make.user("facilitator", name="Ailsa Fraser")
    make.user("facilitator", name="Callum Reid")
    group = make.group("West PSL", facilitators=[ailsa], homes=[make.home("Rowan Court")])
    sign_in(page, live, admin.email, PASSWORD)

    page.goto(f"{live.url}/users/{ailsa.id}")
    page.get_by_label("Active").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Before Ailsa Fraser stops facilitating")
    expect(page.get_by_text("only active facilitator of 1 group")).to_be_visible()
    accessible(page, "handover")

    page.get_by_role("button", name="Deactivate Ailsa Fraser").click()  # no choice, no tick: refused
    expect(page.locator(".error-summary a")).to_have_text(re.compile("Choose who takes this group over"))
    accessible(page, "handover-refused")

    page.get_by_label("Who takes over West PSL").select_option(label="Callum Reid")
    page.get_by_role("button", name="Deactivate Ailsa Fraser").click()
    page.wait_for_url(f"{live.url}/users")
    expect(page.get_by_text("Saved Ailsa Fraser.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Ailsa Fraser"))).to_contain_text("Deactivated")

    page.goto(f"{live.url}/groups/{group.id}/edit")
    chosen = page.get_by_label("Facilitators")
    expect(chosen.locator("option")).to_have_text(["Callum Reid"])  # Ailsa is no longer offered
    db.session.rollback()
    saved = db.session.scalars(select(Group).where(Group.id == group.id)).one()
    assert [u.name for u in saved.facilitators] == ["Callum Reid"]


def test_the_homes_table_is_searched_sorted_and_paged_without_javascript(live, artefacts):
    make = Factory(live.app)
    admin = make.user("admin")
    for n in range(1, 61):
        services.create_home(f"Home {n:02}", "Highland" if n % 2 else "Fife", beds=n)
    db.session.commit()
    page = artefacts.open("no-js", java_script_enabled=False, viewport={"width": 1280, "height": 900})
    sign_in(page, live, admin.email, PASSWORD)

    page.goto(f"{live.url}/homes")
    expect(page.get_by_role("status")).to_have_text("Showing 1–50 of 60 homes.")
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("status")).to_have_text("Showing 51–60 of 60 homes.")

    page.get_by_label("Search by name, region or a contact’s email").fill("highland")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("Showing 1–30 of 30 homes matching “highland”.")
    page.get_by_role("link", name="Beds").click()  # ascending
    page.get_by_role("link", name=re.compile("^Beds")).click()  # and again: descending
    first_row = page.locator("tbody tr").first
    expect(first_row).to_contain_text("Home 59")
    beds = page.get_by_role("columnheader", name=re.compile("Beds"))
    expect(beds).to_have_attribute("aria-sort", "descending")
    assert "q=highland" in page.url and "dir=desc" in page.url
    # axe needs JavaScript: the same pages are checked in test_accessibility_browser.py.


def test_a_new_user_sets_their_password_from_the_welcome_email(live, page, smtp):
    admin = Factory(live.app).user("admin", name="Iona Admin")
    sign_in(page, live, admin.email, PASSWORD)
    page.goto(f"{live.url}/users/new")
    expect(page.locator("input[type=password]")).to_have_count(0)
    page.get_by_label("Name").fill("Eilidh Ross")
    page.get_by_label("Email").fill("eilidh.ross@example.org")
    page.get_by_label("Role").select_option(label="Facilitator")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live.url}/users")
    page.get_by_role("button", name="Sign out", exact=True).click()

    outbox.run_once()
    [raw] = smtp.received
    message = email.message_from_bytes(raw, policy=policy.default)
    assert message["To"].addresses[0].addr_spec == "eilidh.ross@example.org"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/password/reset\?token=[\w-]+", text)[0]
    assert link.startswith(live.url)

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("Choose"))
    accessible(page, "set-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("password", re.I)).click()
    page.wait_for_url(f"{live.url}/login")
    sign_in(page, live, "eilidh.ross@example.org", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Eilidh Ross")).to_be_visible()
