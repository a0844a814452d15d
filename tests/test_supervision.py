"""The reflective supervision log: recording, cadence, and what each role sees."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from facilitator import create_app
from facilitator.extensions import db
from facilitator.models.supervision import SupervisionRecord
from facilitator.supervision import services
from facilitator.supervision.queries import add_months, cadence, trail_of
from tests.conftest import TEST_SECRET
from tests.support.factories import Auth
from tests.support.notes import (
    ACTION_TEXT,
    CHOSEN_THEME,
    FREE_THEME,
    REFLECTION_TEXT,
    audit_count,
    last_audit,
    leaked,
    make_world,
    write_record,
)

TODAY = date.today()


@pytest.fixture
def world(app, make):
    return make_world(app, make)


# Cadence --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 5, 10), -24, date(2024, 5, 10)),
])
def test_add_months_keeps_the_day_or_takes_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_cadence_counts_kept_and_missed_and_knows_when_it_is_overdue():
    today = date(2026, 6, 20)
    dates = [date(2026, 1, 10), date(2026, 2, 9), date(2026, 4, 1), date(2026, 5, 1)]
    c = cadence(dates, today, 1)
    assert (c.kept, c.missed) == (2, 2)  # Feb on time, April late, May on time, open period overdue
    assert c.last_on == date(2026, 5, 1) and c.due_on == date(2026, 6, 1) and c.overdue
    assert c.status == "overdue"
    on_time = cadence([date(2026, 6, 1)], today, 1)
    assert not on_time.overdue and on_time.due_on == date(2026, 7, 1) and on_time.status == "on track"
    assert cadence([], today, 1).status == "none recorded"
    assert cadence(dates, today, 3).missed == 0


def test_cadence_settings_are_validated(tmp_path):
    with pytest.raises(ValueError, match="SUPERVISION_CADENCE_MONTHS"):
        create_app({"SECRET_KEY": TEST_SECRET, "SUPERVISION_CADENCE_MONTHS": 0}, instance_path=str(tmp_path))
    with pytest.raises(ValueError, match="NOTES_RETENTION_MONTHS"):
        create_app({"SECRET_KEY": TEST_SECRET, "NOTES_RETENTION_MONTHS": "soon"}, instance_path=str(tmp_path))


# Recording ------------------------------------------------------------------------------------

def test_a_facilitator_records_supervision_through_the_form(world):
    client = world.web("author")
    auth = Auth(client, world.make)
    form = client.get("/supervision/new")
    assert form.status_code == 200 and form.headers["Cache-Control"] == "no-store"
    response = auth.post("/supervision/new", {
        "held_on": TODAY.isoformat(), "supervisor_id": world.supervisor.id, "minutes": 55,
        "format": "group", "themes": [CHOSEN_THEME], "other_themes": f"{FREE_THEME}, Endings",
        "reflections": REFLECTION_TEXT, "actions-0-text": ACTION_TEXT, "actions-1-text": "Read the TIP guide",
        "actions-1-done": "y", "next_on": (TODAY + timedelta(days=30)).isoformat(), "shared": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    for text in (REFLECTION_TEXT, ACTION_TEXT, FREE_THEME, CHOSEN_THEME, "Endings", "Dr Ruth Sinclair"):
        assert text in html
    record = db.session.scalars(db.select(SupervisionRecord)).one()
    assert (record.minutes, record.format, record.is_shared_with_supervisor) == (55, "group", True)
    assert [a.is_done for a in record.actions] == [False, True]
    assert [e.action for e in _trail(record.id)] == ["create", "read"]


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"supervisor_id": "", "external_supervisor": ""}, "supervisor_id", "Choose a supervisor"),
    ({"external_supervisor": "Someone else"}, "supervisor_id", "not both"),
    ({"held_on": (TODAY + timedelta(days=1)).isoformat()}, "held_on", "cannot be in the future"),
    ({"next_on": (TODAY - timedelta(days=1)).isoformat()}, "next_on", "must be after"),
    ({"minutes": "2"}, "minutes", "Between 5 and 600"),
])
def test_the_form_explains_what_to_correct(world, fields, field, message):
    auth = Auth(world.web("author"), world.make)
    data = {"held_on": TODAY.isoformat(), "supervisor_id": world.supervisor.id, "minutes": 60,
            "format": "one_to_one", "reflections": REFLECTION_TEXT, **fields}
    response = auth.post("/supervision/new", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert audit_count("supervision") == 0


def test_the_api_records_and_returns_the_whole_record_to_its_author(world, api):
    api.as_user(world.author)
    body = {"date": TODAY.isoformat(), "external_supervisor": "Morven Kerr", "minutes": 45, "format": "peer",
            "themes": [CHOSEN_THEME, FREE_THEME, FREE_THEME], "reflections": REFLECTION_TEXT,
            "actions": [{"text": ACTION_TEXT, "done": False}], "next_date": None}
    created = api.post("/api/v1/supervision", json=body)
    assert created.status_code == 201, created.json
    assert created.json["themes"] == [CHOSEN_THEME, FREE_THEME]
    assert created.json["actions"] == [{"text": ACTION_TEXT, "done": False}]
    assert created.json["supervisor_name"] == "Morven Kerr" and created.headers["Cache-Control"] == "no-store"
    bad = api.post("/api/v1/supervision", json={**body, "date": (TODAY + timedelta(days=3)).isoformat(),
                                                "supervisor_id": world.supervisor.id})
    assert bad.status_code == 422
    assert set(bad.json["error"]["fields"]) == {"date", "supervisor_id"}
    wrong_format = api.post("/api/v1/supervision", json={**body, "format": "coffee"})
    assert wrong_format.status_code == 422 and "format" in wrong_format.json["error"]["fields"]
    api.as_user(world.lead)
    assert api.post("/api/v1/supervision", json=body).status_code == 403


# What each role sees ---------------------------------------------------------------------------

def _trail(record_id: int):
    db.session.commit()
    return trail_of("supervision", record_id)


def test_the_author_reads_their_log_over_the_api_and_each_record_read_is_audited(world, api):
    first = write_record(world.author, TODAY - timedelta(days=45), supervisor=world.supervisor)
    second = write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)
    api.as_user(world.author)
    before = audit_count("supervision", action="read")
    response = api.get("/api/v1/supervision")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    [log] = response.json["facilitators"]
    assert log["facilitator_id"] == world.author.id
    assert [r["id"] for r in log["records"]] == [second.id, first.id]
    assert all(r["reflections"] == REFLECTION_TEXT for r in log["records"])
    assert log["cadence"]["last_date"] == (TODAY - timedelta(days=5)).isoformat()
    assert (log["actions_total"], log["actions_done"]) == (4, 2)
    assert audit_count("supervision", action="read") == before + 2
    other = api.get(f"/api/v1/supervision?facilitator_id={world.other.id}")
    assert other.status_code == 403
    row = last_audit()
    assert (row.action, row.outcome, row.object_type, row.object_id) == ("read", "denied", "supervision_log",
                                                                          world.other.id)


@pytest.mark.parametrize("actor", ["lead", "admin", "supervisor"])
def test_others_get_dates_cadence_and_action_counts_only_over_the_api(world, api, actor):
    record = write_record(world.author, TODAY - timedelta(days=50), shared=True, supervisor=world.supervisor)
    api.as_user(world.user(actor))
    before = audit_count()
    response = api.get(f"/api/v1/supervision?facilitator_id={world.author.id}")
    assert response.status_code == 200
    assert leaked(response.get_data(as_text=True)) == []
    assert CHOSEN_THEME not in response.get_data(as_text=True)
    [log] = response.json["facilitators"]
    assert log["records"] == [{"id": record.id, "date": (TODAY - timedelta(days=50)).isoformat(),
                               "actions_total": 2, "actions_done": 1}]
    assert log["cadence"]["overdue"] is True and log["cadence"]["missed"] == 1
    assert audit_count() == before, "nothing confidential was read"


def test_a_supervisor_sees_only_their_own_supervisees(world, api):
    api.as_user(world.other_supervisor)
    assert api.get("/api/v1/supervision").json == {"facilitators": []}
    assert api.get(f"/api/v1/supervision?facilitator_id={world.author.id}").status_code == 404
    page = world.web("other_supervisor").get(f"/supervision/facilitators/{world.author.id}")
    assert page.status_code == 404
    api.as_user(world.supervisor)
    names = [f["facilitator_name"] for f in api.get("/api/v1/supervision").json["facilitators"]]
    assert names == ["Ailsa Fraser", "Callum Reid"]


def test_a_supervisor_reads_shared_records_on_the_web_and_is_refused_the_rest(world):
    shared = write_record(world.author, TODAY - timedelta(days=20), shared=True, supervisor=world.supervisor)
    private = write_record(world.author, TODAY - timedelta(days=10), supervisor=world.supervisor)
    client = world.web("supervisor")
    log = client.get(f"/supervision/facilitators/{world.author.id}").get_data(as_text=True)
    assert f"/supervision/records/{shared.id}" in log and f"/supervision/records/{private.id}" not in log
    assert leaked(log) == []
    page = client.get(f"/supervision/records/{shared.id}")
    assert page.status_code == 200 and REFLECTION_TEXT in page.get_data(as_text=True)
    assert "Edit" not in page.get_data(as_text=True)
    refused = client.get(f"/supervision/records/{private.id}")
    assert refused.status_code == 403 and leaked(refused.get_data(as_text=True)) == []
    assert (last_audit().action, last_audit().outcome) == ("read", "denied")
    assert client.get(f"/supervision/records/{shared.id}/edit").status_code == 403
    assert world.web("other").get(f"/supervision/records/{shared.id}").status_code == 403
    assert world.web("lead").get(f"/supervision/records/{shared.id}").status_code == 403


def test_the_lead_overview_shows_dates_cadence_and_counts_never_content(world):
    write_record(world.author, TODAY - timedelta(days=70), supervisor=world.supervisor)
    write_record(world.author, TODAY - timedelta(days=40), supervisor=world.supervisor)
    write_record(world.other, TODAY - timedelta(days=3), supervisor=world.supervisor,
                 actions=[services.ActionInput(ACTION_TEXT, True)])
    client = world.web("lead")
    page = client.get("/supervision")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Ailsa Fraser" in html and "Overdue since" in html and "Next due" in html
    assert leaked(html) == [] and CHOSEN_THEME not in html
    detail = client.get(f"/supervision/facilitators/{world.author.id}").get_data(as_text=True)
    assert (TODAY - timedelta(days=70)).strftime("%-d %B %Y") in detail
    assert leaked(detail) == [] and CHOSEN_THEME not in detail and "/supervision/records/" not in detail
    home = client.get("/").get_data(as_text=True)
    assert "1 facilitator is overdue for supervision" in home and 'href="/supervision"' in home


def test_the_home_page_shows_when_supervision_is_due_or_overdue(world):
    client = world.web("author")
    assert "No supervision is recorded yet" in client.get("/").get_data(as_text=True)
    write_record(world.author, TODAY - timedelta(days=45), supervisor=world.supervisor)
    assert "Your supervision is overdue" in client.get("/").get_data(as_text=True)
    write_record(world.author, TODAY - timedelta(days=2), supervisor=world.supervisor)
    home = client.get("/").get_data(as_text=True)
    assert "Your next supervision is due by" in home and "Your supervision is overdue" not in home
    assert leaked(home) == []
    supervisor_home = world.web("supervisor").get("/").get_data(as_text=True)
    assert "Ailsa Fraser" in supervisor_home and "Callum Reid" in supervisor_home
    assert leaked(supervisor_home) == []


def test_the_author_edits_shares_and_deletes_a_record(world):
    record = write_record(world.author, TODAY - timedelta(days=9), supervisor=world.supervisor)
    record_id = record.id
    client = world.web("author")
    auth = Auth(client, world.make)
    form = client.get(f"/supervision/records/{record_id}/edit").get_data(as_text=True)
    assert REFLECTION_TEXT in form and ACTION_TEXT in form and FREE_THEME in form
    saved = auth.post(f"/supervision/records/{record_id}/edit", {
        "held_on": (TODAY - timedelta(days=9)).isoformat(), "supervisor_id": world.supervisor.id,
        "minutes": 70, "format": "one_to_one", "themes": [CHOSEN_THEME], "reflections": "Steadier now",
        "actions-0-text": ACTION_TEXT, "actions-0-done": "y", "shared": "y"})
    assert saved.status_code == 302
    assert [e.action for e in _trail(record_id)][-3:] == ["read", "update", "share"]
    page = client.get(f"/supervision/records/{record_id}").get_data(as_text=True)
    assert "Steadier now" in page and "Done:" in page and FREE_THEME not in page
    assert world.web("supervisor").get(f"/supervision/records/{record_id}").status_code == 200
    audit_page = client.get(f"/supervision/records/{record_id}/audit")
    assert audit_page.status_code == 200 and "Shared with supervisor" in audit_page.get_data(as_text=True)
    url = f"/supervision/records/{record_id}"
    deleted = auth.post(f"{url}/delete", {}, page=url)
    assert deleted.status_code == 302
    db.session.commit()
    assert db.session.get(SupervisionRecord, record_id) is None
    assert _trail(record_id)[-1].action == "delete"


# Never supervised (issue 14, item 15) ---------------------------------------------------------

def test_never_supervised_is_due_from_the_start_date_and_overdue_after_it():
    today = date(2026, 6, 20)
    due = cadence([], today, 1, started_on=date(2026, 5, 25))
    assert (due.due_on, due.overdue, due.status, due.missed) == (date(2026, 6, 25), False, "none recorded", 0)
    late = cadence([], today, 1, started_on=date(2026, 4, 2))
    assert (late.due_on, late.overdue, late.status, late.missed) == (date(2026, 5, 2), True, "overdue", 1)
    assert late.tally() == "0 kept, 1 missed" and due.tally() == "none kept or missed yet"
    assert (due.rhythm, cadence([], today, 2).rhythm) == ("monthly", "every 2 months")


def test_a_facilitator_never_supervised_shows_as_overdue_to_everyone(world):
    world.author.created_at = world.author.created_at - timedelta(days=70)
    db.session.commit()
    lead = world.web("lead")
    overview = lead.get("/supervision").get_data(as_text=True)
    assert "(never supervised)" in overview and "None recorded" not in overview
    assert "1 facilitator is overdue for supervision" in lead.get("/").get_data(as_text=True)
    detail = lead.get(f"/supervision/facilitators/{world.author.id}").get_data(as_text=True)
    assert "Monthly" in detail and "Every 1 month" not in detail and "0 kept, 1 missed" in detail
    fresh = lead.get(f"/supervision/facilitators/{world.other.id}").get_data(as_text=True)
    assert "None kept or missed yet" in fresh and "First due" in fresh
    own = world.web("author")
    assert "Supervision is overdue" in own.get("/supervision").get_data(as_text=True)
    assert "first was due on" in own.get("/").get_data(as_text=True)
    assert "(never supervised)" in world.web("supervisor").get("/supervision").get_data(as_text=True)
