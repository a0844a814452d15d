"""A home's action plan (issue 16): the rules, the staff pages, the API, the home's link, the
register, the facilitator's and the lead's counts. The clock is frozen at Tuesday 25 February 2025."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, func, select

from facilitator.admin import services as admin_services
from facilitator.extensions import db
from facilitator.invites.tokens import current_contact_token
from facilitator.journey import action_queries
from facilitator.journey.actions import ActionData, create_action, known_domain_keys
from facilitator.models import HomeAction, LinkKind
from tests.support.factories import ApiClient, csrf_token
from tests.support.invites import JOINED, NOW, add_session, invites_config

TODAY = NOW.date()
PAST, FUTURE = date(2025, 2, 1), date(2025, 4, 1)


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def setup(make):
    """Home A in the facilitator's group, home B in another group with another facilitator."""
    facilitator, other = make.user("facilitator"), make.user("facilitator")
    home_a, home_b = make.home("Ardenlea House"), make.home("Bellfield Court")
    group = make.group("West PSL", facilitators=[facilitator], homes=[home_a], joined_on=JOINED)
    east = make.group("East PSL", facilitators=[other], homes=[home_b], joined_on=JOINED)
    return {"facilitator": facilitator, "other": other, "a": home_a, "b": home_b, "group": group,
            "east": east}


def action(home, **fields) -> HomeAction:
    made = create_action(home, ActionData(**{"title": "Name a trauma-informed champion", **fields}))
    db.session.commit()
    return made


# --------------------------------------------------------------------------- the rules, via the API


def test_the_api_creates_lists_and_changes_actions_with_overdue(api, setup):
    api.as_user(setup["facilitator"])
    home = setup["a"]
    contact = home.contacts[0]
    created = api.post(f"/api/v1/homes/{home.id}/actions", json={
        "title": "Agree protected time for the implementation group", "domain_key": "governance",
        "owner_contact_id": contact.id, "due_on": "2025-02-10", "protected_hours": 2.5,
        "note": "At the next board"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body == {"id": body["id"], "home_id": home.id,
                    "title": "Agree protected time for the implementation group", "domain_key": "governance",
                    "owner_contact_id": contact.id, "owner_role": None, "due_on": "2025-02-10",
                    "protected_hours": 2.5, "note": "At the next board", "status": "not_started",
                    "overdue": True}
    listed = api.get(f"/api/v1/homes/{home.id}/actions").get_json()["actions"]
    assert [a["id"] for a in listed] == [body["id"]]
    done = api.patch(f"/api/v1/actions/{body['id']}", json={"status": "done"}).get_json()
    assert done["status"] == "done" and done["overdue"] is False
    moved = api.patch(f"/api/v1/actions/{body['id']}", json={
        "status": "in_progress", "due_on": None, "owner_contact_id": None, "owner_role": "manager"})
    assert moved.get_json()["owner_role"] == "manager" and moved.get_json()["due_on"] is None


@pytest.mark.parametrize(("fields", "field"), [
    ({"domain_key": "not_a_domain"}, "domain_key"),
    ({"due_on": "1999-12-31"}, "due_on"),
    ({"due_on": "2101-01-01"}, "due_on"),
    ({"owner_role": "chef"}, "owner_role"),
    ({"protected_hours": -1}, "protected_hours"),
    ({"title": "  "}, "title"),
    ({"status": "finished"}, "status"),
])
def test_bad_input_is_422_naming_the_field(api, setup, fields, field):
    api.as_user("admin")
    home = setup["a"]
    url, ok = f"/api/v1/homes/{home.id}/actions", {"title": "A real action"}
    if field == "status":  # status is changed, not given at creation
        made = api.post(url, json=ok).get_json()
        response = api.patch(f"/api/v1/actions/{made['id']}", json=fields)
    else:
        response = api.post(url, json={**ok, **fields})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_an_owner_who_is_not_a_contact_of_that_home_is_refused(api, setup):
    api.as_user("admin")
    stranger = setup["b"].contacts[0]
    response = api.post(f"/api/v1/homes/{setup['a'].id}/actions",
                        json={"title": "Mine", "owner_contact_id": stranger.id})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {"owner_contact_id"}
    assert db.session.scalar(select(func.count()).select_from(HomeAction)) == 0


def test_who_reads_and_writes_through_the_api(app, make, setup):
    """Admin and the home's facilitators write (a past member's too); leads read; another
    facilitator sees no such home; supervisors nothing."""
    home, mine = setup["a"], action(setup["a"])
    lead, supervisor = ApiClient(app, make), ApiClient(app, make)
    lead.as_user("lead")
    supervisor.as_user("supervisor")
    assert lead.get(f"/api/v1/homes/{home.id}/actions").status_code == 200
    assert lead.post(f"/api/v1/homes/{home.id}/actions", json={"title": "x"}).status_code == 403
    assert supervisor.get(f"/api/v1/homes/{home.id}/actions").status_code == 403
    other = ApiClient(app, make)
    other.as_user(setup["other"])
    assert other.get(f"/api/v1/homes/{home.id}/actions").status_code == 404
    assert other.patch(f"/api/v1/actions/{mine.id}", json={"status": "done"}).status_code == 404
    # home B leaves East PSL: its facilitator still writes its plan (a group it belonged to before)
    admin_services.end_membership(setup["east"], setup["b"].id, date(2025, 2, 1))
    db.session.commit()
    assert other.post(f"/api/v1/homes/{setup['b'].id}/actions", json={"title": "Carry on"}).status_code == 201


# --------------------------------------------------------------------------- staff pages


def test_an_action_created_from_a_gap(client, auth, setup):
    """The self-assessment's "Turn this gap into an action" link: the form comes prefilled
    from the domain, and saving adds the action with that domain."""
    auth.login(setup["facilitator"])
    home = setup["a"]
    url = f"/homes/{home.id}/actions/new?domain_key=workforce"
    page = client.get(url).get_data(as_text=True)
    assert '<option selected value="workforce">' in page
    title = "Next step for workforce development and support"
    assert f'value="{title}"' in page
    response = client.post(url, data={
        "csrf_token": csrf_token(page), "title": title, "domain_key": "workforce", "owner": "role:manager",
        "due_on": "2025-03-31", "status": "not_started", "protected_hours": "3", "note": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    made = db.session.scalar(select(HomeAction))
    assert (made.home_id, made.domain_key, made.owner_role, made.due_on, made.protected_hours) == (
        home.id, "workforce", "manager", date(2025, 3, 31), 3.0)
    plan = client.get(f"/homes/{home.id}/actions").get_data(as_text=True)
    assert title in plan and "Workforce development and support" in plan
    assert "workforce" in known_domain_keys()


def test_the_form_shows_every_problem_at_once_beside_its_field(client, auth, setup):
    auth.login(setup["facilitator"])
    home = setup["a"]
    url = f"/homes/{home.id}/actions/new"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={"csrf_token": csrf_token(page), "title": "", "domain_key": "nope",
                                      "owner": f"contact:{setup['b'].contacts[0].id}", "due_on": "2150-01-01",
                                      "status": "not_started", "protected_hours": "", "note": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Enter what the home will do.", "is not a domain of the framework",
                    "The owner must be a contact of Ardenlea House.",
                    "Enter a due date between 2000 and 2100."):
        assert html.count(message) == 2, message  # beside the field and in the summary
    assert db.session.scalar(select(func.count()).select_from(HomeAction)) == 0


def test_status_changes_on_the_plan_page_and_another_facilitator_gets_404(client, auth, setup):
    made = action(setup["a"], due_on=PAST)
    auth.login(setup["other"])
    assert client.get(f"/homes/{setup['a'].id}/actions").status_code == 404
    assert client.get(f"/actions/{made.id}/edit").status_code == 404
    auth.logout()
    auth.login(setup["facilitator"])
    plan_url = f"/homes/{setup['a'].id}/actions"
    assert "Overdue" in client.get(plan_url).get_data(as_text=True)
    response = auth.post(f"/actions/{made.id}/status", {f"a{made.id}-status": "in_progress"}, page=plan_url)
    assert response.status_code == 302
    db.session.refresh(made)
    assert made.status == "in_progress" and made.updated_by_user_id == setup["facilitator"].id


# --------------------------------------------------------------------------- the home's link


def _link(contact) -> str:
    token = current_contact_token(contact, LinkKind.HOME)
    db.session.commit()
    return f"/h/{token}"


def test_the_home_lists_its_actions_and_ticks_one_done_through_its_link(client, setup):
    late, later = action(setup["a"], title="Review the rota", due_on=PAST), action(setup["a"], due_on=FUTURE)
    page_url = _link(setup["a"].contacts[0])
    page = client.get(page_url).get_data(as_text=True)
    assert "Review the rota" in page and "Overdue" in page
    without_token = client.post(f"{page_url}/actions/{late.id}/done")
    assert without_token.status_code == 400  # CSRF, as on the link's other forms
    response = client.post(f"{page_url}/actions/{late.id}/done", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 303
    db.session.refresh(late)
    assert late.status == "done" and late.done_on == TODAY
    assert late.updated_by_contact_id == setup["a"].contacts[0].id
    assert "Review the rota" not in client.get(page_url).get_data(as_text=True)
    assert later.status == "not_started"


def test_a_contact_of_home_a_cannot_read_or_write_home_bs_actions_through_any_link(client, setup):
    theirs = action(setup["b"], title="Bellfield's own secret plan", due_on=PAST)
    action(setup["a"], title="Ardenlea's own action")  # so the page has a form (and its CSRF token)
    page_url = _link(setup["a"].contacts[0])
    page = client.get(page_url).get_data(as_text=True)
    assert "Bellfield's own secret plan" not in page
    token = csrf_token(page)
    assert client.post(f"{page_url}/actions/{theirs.id}/done", data={"csrf_token": token}).status_code == 404
    feed = current_contact_token(setup["a"].contacts[0], LinkKind.FEED)
    db.session.commit()
    # a feed link is not a page link: it cannot tick anything either, of its own home or another's
    assert client.post(f"/h/{feed}/actions/{theirs.id}/done", data={"csrf_token": token}).status_code == 404
    db.session.refresh(theirs)
    assert theirs.status == "not_started"


# --------------------------------------------------------------------------- carried session to session


def test_the_register_shows_each_homes_open_and_overdue_actions(client, auth, setup):
    action(setup["a"], title="Review the rota", due_on=PAST)
    action(setup["a"], title="Already done", status="done")
    session = add_session(setup["group"])
    auth.login(setup["facilitator"])
    page = client.get(f"/sessions/{session.id}/register").get_data(as_text=True)
    assert "Action plan: 1 open" in page and "1 overdue" in page and "Review the rota" in page
    assert "Already done" not in page


def test_the_facilitators_home_page_counts_overdue_actions_per_group(client, auth, setup):
    action(setup["a"], due_on=PAST)
    action(setup["a"], due_on=PAST, status="dropped")
    action(setup["a"], due_on=FUTURE)
    auth.login(setup["facilitator"])
    page = client.get("/").get_data(as_text=True)
    assert "1 action overdue" in page


def test_the_leads_dashboard_shows_totals_and_only_the_homes_with_overdue_actions(client, auth, make, setup):
    for status, due in (("done", PAST), ("not_started", PAST), ("in_progress", FUTURE), ("dropped", PAST)):
        action(setup["a"], status=status, due_on=due)
    action(setup["b"], status="done")
    rows = {p.home_name: (p.done, p.open, p.overdue) for p in action_queries.progress_by_home(TODAY)}
    assert rows == {"Ardenlea House": (1, 2, 1), "Bellfield Court": (1, 0, 0)}
    plans, attention = action_queries.dashboard_plans(TODAY)
    assert plans == action_queries.PlanTotals(homes=2, homes_overdue=1, done=2, open=2, overdue=1)
    assert [(p.home_name, p.done, p.open, p.overdue, p.oldest_due) for p in attention] == [
        ("Ardenlea House", 1, 2, 1, PAST)]
    auth.login("lead")
    page = client.get("/reports/attendance").get_data(as_text=True)
    plans = page[page.index('id="action-plans"'):]
    assert "<strong>2</strong> homes have an action plan" in plans
    assert "<strong>2</strong> actions done" in plans
    assert "<strong>1</strong> overdue, in 1 home" in plans
    assert "Ardenlea House" in plans and "1 February 2025" in plans
    assert "Bellfield Court" not in plans, "nothing overdue: only on the page of every home"
    assert '<a href="/reports/actions">All homes\' actions</a>' in plans


def test_the_dashboard_without_any_plan_or_without_anything_overdue(client, auth, setup):
    assert action_queries.dashboard_plans(TODAY) == (action_queries.PlanTotals(0, 0, 0, 0, 0), [])
    auth.login("lead")
    assert "No home has an action plan yet." in client.get("/reports/attendance").get_data(as_text=True)
    action(setup["a"], due_on=FUTURE)
    assert action_queries.dashboard_plans(TODAY) == (action_queries.PlanTotals(1, 0, 0, 1, 0), [])
    assert "No home has an overdue action." in client.get("/reports/attendance").get_data(as_text=True)


def test_the_dashboard_lists_at_most_ten_homes_most_overdue_first(client, auth, make, setup):
    for n in range(12):
        home = make.home(f"Home {n:02}")
        for k in range(n % 4 + 1):
            action(home, due_on=date(2025, 2, 1 + n), title=f"Action {k}")
    action(setup["a"], due_on=FUTURE)
    plans, top = action_queries.dashboard_plans(TODAY)
    assert (plans.homes, plans.homes_overdue, plans.overdue) == (13, 12, 30)
    assert [(p.home_name, p.overdue) for p in top] == [
        ("Home 03", 4), ("Home 07", 4), ("Home 11", 4), ("Home 02", 3), ("Home 06", 3), ("Home 10", 3),
        ("Home 01", 2), ("Home 05", 2), ("Home 09", 2), ("Home 00", 1)]
    auth.login("lead")
    plans = client.get("/reports/attendance").get_data(as_text=True).split('id="action-plans"')[1]
    assert plans.count("<tr><td>") == 10 and "the 10 most overdue" in plans
    assert "Home 04" not in plans and "Ardenlea House" not in plans


def _statements(work) -> int:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return len([s for s in seen if s.lstrip().upper().startswith("SELECT")])


def test_the_counts_take_the_same_statements_for_more_homes(app, make, setup):
    action(setup["a"], due_on=PAST)
    group_id = setup["group"].id
    db.session.expire_all()
    few = (_statements(lambda: action_queries.progress_by_home(TODAY)),
           _statements(lambda: action_queries.overdue_by_group([group_id], TODAY)),
           _statements(lambda: action_queries.dashboard_plans(TODAY)))
    for n in range(5):
        home = make.home(f"More {n}")
        admin_services.add_member(setup["group"], home.id, JOINED)
        action(home, due_on=PAST)
    db.session.expire_all()
    many = (_statements(lambda: action_queries.progress_by_home(TODAY)),
            _statements(lambda: action_queries.overdue_by_group([group_id], TODAY)),
            _statements(lambda: action_queries.dashboard_plans(TODAY)))
    assert few == many == (1, 1, 1)
    assert action_queries.overdue_by_group([group_id], TODAY) == {group_id: 6}
