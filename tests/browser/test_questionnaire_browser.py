"""Questionnaires in Chromium (issue 20): the pulse in two taps on a shared iPad after a session,
the contact's questionnaire through their link (every problem at once first), and the staff's
results and templates pages, each axe-clean."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect
from sqlalchemy import func, select

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.invites import questionnaire_links as links
from facilitator.invites.tokens import mint_contact_token
from facilitator.models import QuestionnaireInvite, QuestionnaireResponse
from facilitator.questionnaires import answers, catalogue, rounds
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory
from tests.support.invites import add_session


def _group_with_a_session_just_ended(live_server):
    make = Factory(live_server.app)
    facilitator = make.user("facilitator")
    home = make.home("Taigh na Mara", contacts=4)
    group = make.group("Highlands PSL", facilitators=[facilitator], homes=[home],
                       joined_on=local_today() - timedelta(days=60))
    ended = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=3)
    session = add_session(group, title="Week 3: noticing", starts_at=ended, book=False)
    db.session.commit()
    return facilitator, home, group, session


def _send_pre(group):
    questionnaire = catalogue.offered("pre_post")[0]
    return rounds.create_round(group, rounds.RoundInput(questionnaire.id, "pre", None), None)


def test_the_pulse_in_two_taps_on_a_shared_ipad(live_server, ipad_page):
    _, home, _, _ = _group_with_a_session_just_ended(live_server)
    token = mint_contact_token(home.contacts[0])
    db.session.commit()
    page = ipad_page
    page.goto(f"{live_server.url}/h/{token}")
    pulse = page.get_by_role("region", name="After the session: Week 3: noticing")
    expect(pulse.get_by_role("group", name="How useful was today?")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    pulse.get_by_text("Very useful").tap()
    pulse.get_by_role("button", name="Send").tap()
    expect(page.get_by_role("status").filter(has_text="your answers are in")).to_be_visible()
    expect(page.get_by_role("region", name="After the session: Week 3: noticing")).to_have_count(0)
    assert db.session.scalar(select(func.count(QuestionnaireResponse.id))) == 1
    assert serious_accessibility_problems(page) == []


def test_a_contact_answers_the_questionnaire_through_their_link(live_server, ipad_page):
    _, home, group, _ = _group_with_a_session_just_ended(live_server)
    round_ = _send_pre(group)
    db.session.commit()
    invite = db.session.scalars(
        select(QuestionnaireInvite).where(QuestionnaireInvite.round_id == round_.id)).first()
    page = ipad_page
    page.goto(f"{live_server.url}/q/{links.kept_link(invite)}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confidence in trauma-informed practice")
    page.get_by_role("button", name="Send my answers").tap()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Choose an answer to at least one question.")
    assert serious_accessibility_problems(page) == []
    feel_safe = page.get_by_role("group", name="I feel confident helping a resident")
    feel_safe.get_by_label("4 Agree").tap()
    page.get_by_label("Is there anything else you would like to tell us?").fill("More time to talk")
    page.get_by_role("button", name="Send my answers").tap()
    expect(page.get_by_role("status")).to_contain_text("your answers are in")
    assert serious_accessibility_problems(page) == []


def test_the_facilitator_reads_results_and_the_admin_edits_a_template(live_server, page, browser):
    facilitator, _, group, _ = _group_with_a_session_just_ended(live_server)
    round_ = _send_pre(group)
    invites = db.session.scalars(select(QuestionnaireInvite)).all()
    for invite, value in zip(invites, ("4", "5", "4", "2"), strict=True):
        answers.answer_invite(invite, {"feel_safe": value, "anything_else": f"Thought {value}"})
    admin = Factory(live_server.app).user("admin")
    db.session.commit()

    sign_in(page, live_server, facilitator.email, PASSWORD)
    page.goto(f"{live_server.url}/groups/{group.id}/questionnaires")
    expect(page.get_by_role("heading", level=1)).to_have_text("Questionnaires")
    assert serious_accessibility_problems(page) == []
    page.get_by_role("button", name="Send the questionnaire").click()
    expect(page.locator(".error-summary, .field-error").first).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.goto(f"{live_server.url}/questionnaire-rounds/{round_.id}")
    statement = "I feel confident helping a resident who is distressed to feel safe."
    expect(page.get_by_role("heading", name=statement)).to_be_visible()
    expect(page.get_by_text("Fewer than 3 responses.").first).to_be_visible()
    assert serious_accessibility_problems(page) == []

    context = browser.new_context()
    other = context.new_page()
    try:
        sign_in(other, live_server, admin.email, PASSWORD)
        other.goto(f"{live_server.url}/admin/questionnaires")
        assert serious_accessibility_problems(other) == []
        other.get_by_role("link", name="Edit Confidence in trauma-informed practice version 1").click()
        other.wait_for_url("**/edit")
        other.get_by_label("Title").fill("")
        other.get_by_role("button", name="Save").click()
        expect(other.locator(".error-summary")).to_contain_text("Give the questionnaire a title.")
        assert serious_accessibility_problems(other) == []
    finally:
        context.close()
