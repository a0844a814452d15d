"""The action plan in Chromium: a facilitator turns a gap into an action, and the home ticks it
done on its shared iPad through the contact's link."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import HomeAction
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory


def test_a_gap_becomes_an_action_that_the_home_ticks_done_on_its_ipad(live_server, page, ipad_page):
    make = Factory(live_server.app)
    facilitator = make.user("facilitator")
    home = make.home("Taigh na Mara", contacts=1)
    make.group("Highlands PSL", facilitators=[facilitator], homes=[home],
               joined_on=local_today() - timedelta(days=30))
    contact = home.contacts[0]
    link = f"{live_server.url}/h/{mint_contact_token(contact)}"
    db.session.commit()

    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/homes/{home.id}/actions/new?domain_key=environment")
    expect(page.get_by_label("Domain of the self-assessment (optional)")).to_have_value("environment")
    page.get_by_label("What will the home do?").fill("Make a quiet room for residents and staff")
    page.get_by_label("Owner (optional)").select_option(label=f"{contact.name} (manager)")
    page.get_by_label("Due by (optional)").fill((local_today() - timedelta(days=3)).isoformat())
    page.get_by_label("Protected time it needs, in hours (optional)").fill("4")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flashes")).to_contain_text("Added “Make a quiet room for residents and staff”")
    row = page.locator("tr", has_text="Make a quiet room")
    expect(row).to_contain_text("Overdue")
    expect(row).to_contain_text("Physical and emotional environment")
    assert serious_accessibility_problems(page) == []

    ipad_page.goto(link)
    card = ipad_page.locator(".action-list li", has_text="Make a quiet room")
    expect(card).to_contain_text("Overdue")
    assert serious_accessibility_problems(ipad_page) == []
    card.get_by_role("button", name="Mark as done").tap()
    expect(ipad_page.get_by_role("status")).to_contain_text("that action is ticked off")
    expect(ipad_page.locator(".action-list")).to_have_count(0)
    db.session.rollback()
    done = db.session.scalar(select(HomeAction))
    assert done.status == "done" and done.updated_by_contact_id == contact.id

    page.reload()
    expect(page.locator("tr", has_text="Make a quiet room")).not_to_contain_text("Overdue")
