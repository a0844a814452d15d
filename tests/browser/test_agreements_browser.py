"""The senior sponsor's page on a shared iPad (1024×768, touch): read the agreement, type a name,
press "I agree"; the agreement is accepted and the page says so."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from facilitator.conditions import agreements, links
from facilitator.extensions import db
from facilitator.models import Agreement
from tests.browser.conftest import serious_accessibility_problems
from tests.support.factories import Factory
from tests.support.invites import JOINED, NOW, set_now


def test_the_sponsor_agrees_on_the_ipad(live_server, ipad_page):
    app = live_server.app
    set_now(app, NOW)
    make = Factory(app)
    home = make.home("Taigh na Mara", contacts=1)
    home.contacts[0].role = "senior_manager"
    make.group("Highlands PSL", facilitators=[make.user("facilitator")], homes=[home], joined_on=JOINED)
    data = agreements.AgreementData(4, 2, 1.5, NOW.date() + timedelta(days=5),
                                    sponsor_contact_id=home.contacts[0].id)
    agreement = agreements.send_agreement(agreements.create_agreement(home, data, None))
    token = links.kept_link(agreement)  # the link the email carries
    db.session.commit()

    page = ipad_page
    page.goto(f"{live_server.url}/a/{token}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Protected-time agreement for Taigh na Mara")
    expect(page.get_by_text("4 hours a month for staff to take part in PSL sessions")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.get_by_label("Your full name").fill("Catriona MacLeod")
    page.get_by_role("button", name="I agree").tap()
    expect(page.get_by_role("status")).to_contain_text("You agreed this on")
    expect(page.get_by_role("status")).to_contain_text("as Catriona MacLeod")
    expect(page.get_by_role("button", name="I agree")).to_have_count(0)
    db.session.rollback()
    saved = db.session.get(Agreement, agreement.id)
    assert (saved.status, saved.accepted_by, saved.accepted_ip) == (
        "accepted", "Catriona MacLeod", "127.0.0.1")


def test_the_group_page_shows_readiness(live_server, page):
    from datetime import date

    from facilitator.conditions import readiness
    from tests.browser.conftest import sign_in
    from tests.support.factories import PASSWORD

    app = live_server.app
    set_now(app, NOW)
    make = Factory(app)
    facilitator = make.user("facilitator")
    visited, fresh = make.home("Ardenlea House"), make.home("Bellfield Court")
    group = make.group("West PSL", facilitators=[facilitator], homes=[visited, fresh], joined_on=JOINED)
    readiness.record_readiness(group, visited.id, {"visited_on": date(2025, 2, 3), "visited_by": "Ailsa",
                                                   "champion_contact_id": visited.contacts[0].id})
    db.session.commit()

    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/groups/{group.id}")
    table = page.get_by_role("region", name="Readiness")
    expect(table.get_by_role("row", name="Ardenlea House")).to_contain_text("2 of 7")
    expect(table.get_by_role("row", name="Ardenlea House")).to_contain_text("Met the manager face to face")
    expect(table.get_by_role("row", name="Ardenlea House")).not_to_contain_text("Facilitator visited")
    expect(table.get_by_role("row", name="Bellfield Court")).to_contain_text("0 of 7")
    assert serious_accessibility_problems(page) == []
