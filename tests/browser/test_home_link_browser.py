"""The home's shared iPad, in Chromium at an iPad's size, through the contact's link: "We can't
make it" beside a coming session, then withdrawn (issue 18); last month's indicators return, its
refusal of a part larger than its whole, then sent (issue 19). Every page axe-checked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.indicators.services import last_month
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import Apology, AttendanceEntry, IndicatorReturn
from tests.browser.conftest import serious_accessibility_problems
from tests.support.factories import Factory
from tests.support.invites import add_session


def _home_link(live_server) -> tuple[str, object, object]:
    make = Factory(live_server.app)
    home = make.home("Taigh na Mara", contacts=2)
    group = make.group("Highlands PSL", facilitators=[make.user("facilitator")], homes=[home],
                       joined_on=local_today() - timedelta(days=60))
    soon = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    session = add_session(group, title="Week 4: routines that calm", starts_at=soon)
    link = f"{live_server.url}/h/{mint_contact_token(home.contacts[0])}"
    db.session.commit()
    return link, home, session


def test_we_cant_make_it_on_the_shared_ipad_then_withdrawn(live_server, ipad_page):
    link, home, session = _home_link(live_server)
    page = ipad_page
    page.goto(link)
    page.get_by_role("link", name=re.compile("^We can't make it.*Week 4: routines that calm")).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("We can't make it")
    assert serious_accessibility_problems(page) == []
    page.get_by_text("Outbreak or illness").tap()
    page.get_by_label("A short note for your facilitator (optional)").fill("Closed to visitors this week")
    page.get_by_role("button", name="Send our apologies").tap()
    expect(page.get_by_role("status")).to_contain_text("your facilitator will know Taigh na Mara can't come")
    assert serious_accessibility_problems(page) == []

    db.session.rollback()
    apology = db.session.scalar(select(Apology).where(Apology.session_id == session.id))
    assert (apology.reason, apology.note, apology.contact_id) == (
        "outbreak_or_illness", "Closed to visitors this week", home.contacts[0].id)
    entry = db.session.scalar(select(AttendanceEntry).where(AttendanceEntry.session_id == session.id))
    assert (entry.status, entry.source) == ("excused", "apology")

    page.get_by_role("link", name="Back to your page").tap()
    expect(page.get_by_text("You've sent apologies for this session.")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Your apologies.*Week 4: routines that calm")).tap()
    page.get_by_role("button", name="Withdraw: we can come after all").tap()
    expect(page.get_by_role("status")).to_contain_text("your apologies are withdrawn")
    db.session.rollback()
    assert db.session.scalar(select(Apology.withdrawn_at).where(Apology.id == apology.id)) is not None
    assert db.session.scalar(select(AttendanceEntry).where(AttendanceEntry.session_id == session.id)) is None


def test_last_months_return_on_the_shared_ipad(live_server, ipad_page):
    link, home, _ = _home_link(live_server)
    page = ipad_page
    page.goto(link)
    page.get_by_role("link", name="Last month's return").tap()
    month = last_month(local_today())
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Taigh na Mara: {month:%B %Y} in numbers")
    expect(page.get_by_text("Counts only — never names of residents or staff.")).to_be_visible()
    assert serious_accessibility_problems(page) == []

    page.get_by_label("Care plans reviewed last month").fill("12")
    page.get_by_label("Of those, how many name trauma-related needs or trauma-informed approaches").fill("20")
    page.get_by_label("Team meetings or huddles held last month").fill("4")
    page.get_by_label("Of those, how many discussed trauma or trauma-informed practice").fill("3")
    page.locator('[id="staff_trained.care_staff.informed"]').fill("5")
    page.get_by_label("Team leaders trained in trauma-informed practice to date").fill("2")
    page.get_by_role("button", name=f"Send {month:%B %Y}").tap()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(1)
    assert serious_accessibility_problems(page) == []
    db.session.rollback()
    assert db.session.scalar(select(IndicatorReturn)) is None  # refused: nothing kept

    page.get_by_label("Of those, how many name trauma-related needs or trauma-informed approaches").fill("7")
    page.get_by_role("button", name=f"Send {month:%B %Y}").tap()
    expect(page.get_by_role("status")).to_contain_text(f"{month:%B %Y} is sent")
    db.session.rollback()
    sent = db.session.scalar(select(IndicatorReturn))
    assert (sent.home_id, sent.month, sent.source) == (home.id, month, "online")
    assert (sent.care_plans_reviewed, sent.care_plans_naming_trauma, sent.team_meetings,
            sent.team_meetings_discussing_tip, sent.team_leaders_trained_total) == (12, 7, 4, 3, 2)
    assert [(s.role, s.ksf_level, s.count) for s in sent.staff_trained] == [("care_staff", "informed", 5)]
