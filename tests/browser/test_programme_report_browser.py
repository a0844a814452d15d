"""The programme report in Chromium (issue 20): a lead chooses a period and a group, sees the
learning section, writes a narrative and freezes the report, then finds the snapshot and its PDF
in the list; every page axe-clean."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.models import QuestionnaireInvite
from facilitator.questionnaires import answers, catalogue, rounds
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory


def test_a_lead_filters_freezes_and_finds_the_snapshot(live_server, page):
    make = Factory(live_server.app)
    lead = make.user("lead", name="Iain MacLeod")
    home = make.home("Taigh na Mara", contacts=3)
    group = make.group("Highlands PSL", homes=[home], joined_on=local_today() - timedelta(days=60))
    make.group("Borders PSL", homes=[make.home("Eildon View")])
    questionnaire = catalogue.offered("pre_post")[0]
    round_ = rounds.create_round(group, rounds.RoundInput(questionnaire.id, "pre", None), None)
    for invite in db.session.query(QuestionnaireInvite).filter_by(round_id=round_.id):
        answers.answer_invite(invite, {"feel_safe": "3"})
    db.session.commit()

    sign_in(page, live_server, lead.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/programme")
    page.get_by_label("From").fill((local_today() - timedelta(days=30)).isoformat())
    page.get_by_label("To").fill(local_today().isoformat())
    page.get_by_label("Group").select_option(label="Highlands PSL")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/reports/programme?*group_id=*")
    learning = page.get_by_role("region", name="Learning")
    expect(learning).to_contain_text("1 pre and 0 post rounds (3 and 0 responses)")
    assert serious_accessibility_problems(page) == []

    page.get_by_label("Narrative (optional)").fill("Homes in the Highlands kept their protected time.")
    page.get_by_role("button", name="Freeze").click()
    expect(page.get_by_text("The report is frozen: this snapshot will not change.")).to_be_visible()
    expect(page.get_by_text("Homes in the Highlands kept their protected time.")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.goto(f"{live_server.url}/reports/programme/snapshots")
    expect(page.get_by_role("link", name="PDF of snapshot")).to_have_count(1)
    assert serious_accessibility_problems(page) == []
