"""In a real browser: a facilitator writes a confidential note; a co-facilitator cannot reach it."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.models.supervision import AuditEvent
from tests.browser.conftest import serious_accessibility_problems, sign_in
from tests.support.factories import PASSWORD, Factory
from tests.support.notes import NOTE_TEXT, REFLECTION_TEXT, add_session, leaked, write_record


def test_a_note_written_by_one_facilitator_cannot_be_reached_by_another(live_server, page, browser):
    make = Factory(live_server.app)
    supervisor = make.user("supervisor", name="Dr Ruth Sinclair")
    author = make.user("facilitator", name="Ailsa Fraser", supervisor_id=supervisor.id)
    other = make.user("facilitator", name="Callum Reid")
    home = make.home("Ardenlea House")
    group = make.group(name="West of Scotland PSL", facilitators=[author, other], homes=[home])
    session = add_session(group, title="Week 3: staff wellbeing")
    session_id, other_id = session.id, other.id
    db.session.commit()

    sign_in(page, live_server, author.email, PASSWORD)
    page.get_by_role("link", name="Notes", exact=True).click()
    page.get_by_role("link", name="Write a note").click()
    page.wait_for_url(f"{live_server.url}/notes/new*")
    assert serious_accessibility_problems(page) == []
    page.get_by_label("Session").select_option(str(session_id))
    page.get_by_label("About one home (optional)").select_option(label="Ardenlea House")
    page.get_by_label("Note", exact=True).fill(NOTE_TEXT)
    page.get_by_role("button", name="Save note").click()
    page.wait_for_url(f"{live_server.url}/notes/*")
    note_url = page.url
    assert page.get_by_text("Your note is saved and encrypted.").is_visible()
    assert page.locator(".confidential").inner_text() == NOTE_TEXT
    assert serious_accessibility_problems(page) == []

    context = browser.new_context()
    intruder = context.new_page()
    try:
        sign_in(intruder, live_server, other.email, PASSWORD)
        response = intruder.goto(note_url)
        assert response.status == 403
        assert intruder.get_by_role("heading", name="You do not have access to this page.").is_visible()
        assert leaked(intruder.content()) == []
        intruder.goto(f"{live_server.url}/notes")
        assert leaked(intruder.content()) == []
        assert "There are no notes yet." in intruder.content()
        assert serious_accessibility_problems(intruder) == []
    finally:
        context.close()

    db.session.commit()
    denied = db.session.scalars(db.select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    assert [(e.actor_id, e.action, e.object_type) for e in denied] == [(other_id, "read", "note")]
    assert "Chrome" in (denied[0].user_agent or "")


def test_recording_supervision_and_the_lead_overview_are_accessible(live_server, page, browser):
    make = Factory(live_server.app)
    supervisor = make.user("supervisor", name="Dr Ruth Sinclair")
    author = make.user("facilitator", name="Ailsa Fraser", supervisor_id=supervisor.id)
    lead = make.user("lead", name="Iain MacLeod")
    db.session.commit()

    sign_in(page, live_server, author.email, PASSWORD)
    assert page.get_by_text("No supervision is recorded yet.").is_visible()
    page.get_by_role("link", name="Record supervision").first.click()
    expect(page.get_by_label("Length in minutes")).to_be_visible()
    assert serious_accessibility_problems(page) == []
    page.get_by_label("Length in minutes").fill("50")
    page.get_by_label("Boundaries").check()
    page.get_by_label("Other themes (separate them with commas)").fill("Endings")
    page.get_by_label("Reflections").fill(REFLECTION_TEXT)
    page.get_by_label("Action 1", exact=True).fill("Book a debrief")
    page.get_by_label("Share this record with my supervisor").check()
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/supervision/records/*")
    assert page.locator(".confidential").inner_text() == REFLECTION_TEXT
    assert serious_accessibility_problems(page) == []
    page.get_by_role("link", name="Supervision", exact=True).click()
    expect(page.get_by_text("Your next supervision is due by")).to_be_visible()
    assert serious_accessibility_problems(page) == []

    context = browser.new_context()
    lead_page = context.new_page()
    try:
        sign_in(lead_page, live_server, lead.email, PASSWORD)
        lead_page.get_by_role("link", name="Supervision cadence", exact=True).click()
        expect(lead_page.get_by_role("cell", name="Ailsa Fraser")).to_be_visible()
        assert leaked(lead_page.content()) == [] and "Boundaries" not in lead_page.content()
        assert serious_accessibility_problems(lead_page) == []
    finally:
        context.close()


def test_the_supervision_form_shows_every_problem_at_once_and_links_to_each(live_server, page):
    """Issue 14, item 11: one submit shows all three problems, each beside its field and listed
    at the top with a link that moves to the field."""
    make = Factory(live_server.app)
    supervisor = make.user("supervisor", name="Dr Ruth Sinclair")
    author = make.user("facilitator", name="Ailsa Fraser", supervisor_id=supervisor.id)
    db.session.commit()

    sign_in(page, live_server, author.email, PASSWORD)
    page.goto(f"{live_server.url}/supervision/new")
    future = (local_today() + timedelta(days=3)).isoformat()
    page.get_by_label("Date of supervision").fill(future)
    page.get_by_label("Length in minutes").fill("2")
    page.get_by_label("Next supervision planned for (optional)").fill(local_today().isoformat())
    page.get_by_role("button", name="Save").click()
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_count(3)
    for text in ("Between 5 and 600", "cannot be in the future", "must be after"):
        expect(summary.get_by_role("link", name=re.compile(text))).to_be_visible()
        expect(page.locator(".field-error", has_text=text)).to_be_visible()
    summary.get_by_role("link", name=re.compile("must be after")).click()
    expect(page.locator("#next_on")).to_be_focused()
    assert serious_accessibility_problems(page) == []


def test_a_facilitator_never_supervised_is_overdue_for_the_lead(live_server, page):
    """Issue 14, item 15: never supervised and past the start date plus the cadence is overdue."""
    make = Factory(live_server.app)
    author = make.user("facilitator", name="Ailsa Fraser")
    author.created_at = author.created_at - timedelta(days=70)
    lead = make.user("lead", name="Iain MacLeod")
    db.session.commit()

    sign_in(page, live_server, lead.email, PASSWORD)
    expect(page.get_by_text("1 facilitator is overdue for supervision.")).to_be_visible()
    page.goto(f"{live_server.url}/supervision")
    row = page.get_by_role("row", name=re.compile("Ailsa Fraser"))
    expect(row.get_by_text("Overdue since")).to_be_visible()
    page.get_by_role("link", name="Ailsa Fraser").click()
    expect(page.get_by_text("Monthly", exact=True)).to_be_visible()
    expect(page.get_by_text("0 kept, 1 missed")).to_be_visible()
    assert serious_accessibility_problems(page) == []


def test_the_supervisor_comments_on_a_shared_record_and_the_facilitator_answers(live_server, page, browser):
    """Issue 14, item 16: a comment on a shared record, read by the facilitator, who answers."""
    make = Factory(live_server.app)
    supervisor = make.user("supervisor", name="Dr Ruth Sinclair")
    author = make.user("facilitator", name="Ailsa Fraser", supervisor_id=supervisor.id)
    record = write_record(author, local_today() - timedelta(days=3), shared=True, supervisor=supervisor)
    record_url = f"{live_server.url}/supervision/records/{record.id}"

    sign_in(page, live_server, supervisor.email, PASSWORD)
    page.goto(record_url)
    page.get_by_label("Your comment").fill("Good to hear the rota worry said out loud")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Your comment is saved.")).to_be_visible()
    expect(page.locator(".comment-list")).to_contain_text("Good to hear the rota worry said out loud")
    assert serious_accessibility_problems(page) == []

    context = browser.new_context()
    own = context.new_page()
    try:
        sign_in(own, live_server, author.email, PASSWORD)
        own.goto(record_url)
        expect(own.locator(".comment-list")).to_contain_text("Dr Ruth Sinclair (supervisor)")
        own.get_by_label("Your comment").fill("I will bring the rota next time")
        own.get_by_role("button", name="Add comment").click()
        expect(own.locator(".comment-list li")).to_have_count(2)
        assert serious_accessibility_problems(own) == []
    finally:
        context.close()


def test_a_supervisor_records_a_supervision_that_the_supervisee_sees(live_server, page, browser):
    """Issue 14, item 16: recorded by the supervisor, in the facilitator's log for their reflections."""
    make = Factory(live_server.app)
    supervisor = make.user("supervisor", name="Dr Ruth Sinclair")
    author = make.user("facilitator", name="Ailsa Fraser", supervisor_id=supervisor.id)
    db.session.commit()

    sign_in(page, live_server, supervisor.email, PASSWORD)
    page.goto(f"{live_server.url}/supervision/facilitators/{author.id}")
    page.get_by_role("link", name="Record a supervision with Ailsa Fraser").click()
    page.wait_for_url(f"{live_server.url}/supervision/facilitators/{author.id}/new")
    assert serious_accessibility_problems(page) == []
    expect(page.get_by_label("Reflections")).to_have_count(0)
    page.get_by_label("Length in minutes").fill("45")
    page.get_by_label("Boundaries").check()
    page.get_by_label("Action 1", exact=True).fill("Book a debrief")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The supervision is recorded in Ailsa Fraser's log.")).to_be_visible()
    record_url = page.url

    context = browser.new_context()
    own = context.new_page()
    try:
        sign_in(own, live_server, author.email, PASSWORD)
        own.goto(f"{live_server.url}/supervision")
        own.goto(record_url)
        expect(own.get_by_text("Book a debrief")).to_be_visible()
        expect(own.get_by_text("Add your own reflections with Edit.")).to_be_visible()
        own.get_by_role("link", name="Edit").click()
        own.get_by_label("Reflections").fill(REFLECTION_TEXT)
        own.get_by_role("button", name="Save").click()
        expect(own.locator(".confidential")).to_have_text(REFLECTION_TEXT)
        assert serious_accessibility_problems(own) == []
    finally:
        context.close()
