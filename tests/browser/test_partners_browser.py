"""In Chromium: an admin adds a partner to the directory (every problem at once first), finds it
with the area and specialism filters, and a facilitator records a home's contact with it, which the
home's page then shows. Each page on the way is checked with axe-core."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from facilitator.clock import local_today
from tests.browser.conftest import LiveServer, serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory


def accessible(page: Page, name: str) -> None:
    assert serious_accessibility_problems(page) == [], name


def test_an_admin_builds_the_directory_and_a_facilitator_records_a_contact(live_server: LiveServer, page):
    make = Factory(live_server.app)
    admin, facilitator = make.user("admin"), make.user("facilitator", name="Ailsa Fraser")
    home = make.home("Rowan Court", local_authority="fife")
    make.group("Fife PSL", facilitators=[facilitator], homes=[home])
    sign_in(page, live_server, admin.email, PASSWORD)

    page.goto(f"{live_server.url}/partners")
    page.get_by_role("link", name="Add a partner").click()
    page.get_by_label("Website (starting https://)").fill("http://www.frasac.org.uk")
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".error-summary")
    for message in ("Enter the organisation's name.", "Choose at least one specialism.",
                    "Choose at least one council area.", "starting https://"):
        expect(summary).to_contain_text(message)
    accessible(page, "partner form with errors")
    summary.get_by_role("link", name="Choose at least one council area.").click()
    expect(page.locator("#areas-0")).to_be_focused()

    page.get_by_label("Name").fill("Fife Rape and Sexual Assault Centre")
    page.get_by_label("Sexual violence").check()
    page.get_by_label("Older adults").check()
    page.get_by_label("Fife", exact=True).check()
    page.get_by_label("Website (starting https://)").fill("https://www.frasac.org.uk")
    page.get_by_label("How to refer, in words").fill("Self-referral by phone; staff can refer with consent.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("Saved Fife Rape and Sexual Assault Centre.")

    rows = page.locator("tbody tr")
    page.get_by_label("Council area").select_option("highland")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_text(["No partners match these filters."])
    page.get_by_label("Council area").select_option("fife")
    page.get_by_label("Specialism").select_option("older_adults")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Fife Rape and Sexual Assault Centre")
    accessible(page, "filtered directory")

    page.context.clear_cookies()
    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/homes/{home.id}")
    page.get_by_role("link", name="Record a partner contact").click()
    page.get_by_label("Partner").select_option(label="Fife Rape and Sexual Assault Centre")
    expect(page.get_by_label("Date of the contact")).to_have_value(local_today().isoformat())
    page.get_by_label("Outcome").fill("They offered a session for staff on supporting older survivors.")
    page.get_by_label("Next step (optional)").fill("Agree a date with the manager.")
    accessible(page, "partner contact form")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("Recorded the contact.")
    contacts = page.get_by_role("region", name="Contacts with partner organisations")
    expect(contacts).to_contain_text("They offered a session for staff")
    expect(contacts).to_contain_text("Ailsa Fraser")
    accessible(page, "home page with its partner contacts")
