"""A contact fills in a self-assessment round on the shared iPad (1024×768, touch), without
signing in and without JavaScript doing the saving (issue 16)."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import Assessment
from tests.browser.conftest import LiveServer, serious_accessibility_problems
from tests.browser.test_join_browser import big_enough, fits_the_screen
from tests.support.factories import Factory


def test_a_contact_fills_a_round_on_the_ipad(live_server: LiveServer, ipad_page):
    make = Factory(live_server.app)
    home = make.home("Taigh na Mara", contacts=1)
    make.group("Highlands and Islands PSL", homes=[home], joined_on=date(2026, 1, 5))
    link = f"{live_server.url}/h/{mint_contact_token(home.contacts[0])}"
    db.session.commit()
    page = ipad_page

    page.goto(link)
    page.get_by_role("link", name="Open the self-assessment").tap()
    page.get_by_role("button", name="Start round 1").tap()
    expect(page.get_by_role("heading", name="Governance, management and leadership")).to_be_visible()
    expect(page.get_by_text("area 1 of 10")).to_be_visible()
    choice = page.locator("label.scale-choice", has_text="Getting started")
    big_enough(choice)
    fits_the_screen(page)
    assert serious_accessibility_problems(page) == []
    choice.tap()
    page.get_by_label("What shows this? (optional)").fill("Our manager leads it; no time set aside yet")
    page.get_by_role("button", name="Save and next").tap()

    expect(page.get_by_role("heading", name="Policy")).to_be_visible()
    page.locator("label.scale-choice", has_text="Developing").tap()
    page.get_by_role("button", name="Back").tap()  # saves this screen, then goes back

    expect(page.get_by_role("heading", name="Governance, management and leadership")).to_be_visible()
    expect(page.get_by_label("2 Getting started")).to_be_checked()
    expect(page.get_by_label("What shows this? (optional)")).to_have_value(
        "Our manager leads it; no time set aside yet")
    page.get_by_role("button", name="Save and see all areas").tap()

    expect(page.get_by_text("2 of 10 areas rated so far")).to_be_visible()
    page.get_by_role("button", name="Finish this round").tap()
    expect(page.get_by_text("Thank you: the round is finished.")).to_be_visible()
    expect(page.get_by_text("Next round due")).to_be_visible()

    db.session.rollback()
    assessment = db.session.scalar(select(Assessment).where(Assessment.home_id == home.id))
    assert assessment.completed_on is not None
    assert {r.domain_key: r.rating for r in assessment.ratings} == {"governance": 2, "policy": 3}
