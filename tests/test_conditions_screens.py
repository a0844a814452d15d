"""The staff screens of agreements and readiness (issue 17): drafting on the home's page with the
wording prefilled, sending, recording a signed letter, a home's readiness in its group; every
problem at once; who may. The clock is frozen at 10 March 2026."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import Agreement, MembershipReadiness
from tests.support.factories import csrf_token
from tests.support.invites import deliver
from tests.test_all_errors_at_once import beside

FIGURES = {"psl_hours_per_month": "3", "implementation_hours_per_month": "1.5", "task_hours_per_month": "2",
           "starts_on": "2026-03-01"}


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW="2026-03-10T12:00:00+00:00", MAIL_BACKEND="memory")
    with app.app_context():
        yield app


@pytest.fixture
def world(make):
    facilitator = make.user("facilitator")
    home, other = make.home("Ardenlea House"), make.home("Bellfield Court")
    group = make.group("West PSL", facilitators=[facilitator], homes=[home], joined_on=date(2026, 1, 5))
    make.group("East PSL", facilitators=[make.user("facilitator")], homes=[other])
    return facilitator, group, home, other


def agreements_of(home) -> list[Agreement]:
    db.session.rollback()
    return list(db.session.scalars(select(Agreement).where(Agreement.home_id == home.id)))


def test_a_facilitator_drafts_sends_and_records_a_signed_letter(app, auth, client, world):
    facilitator, _group, home, _other = world
    auth.login(facilitator)
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert f'href="/homes/{home.id}/agreements/new"' in page
    form = client.get(f"/homes/{home.id}/agreements/new").get_data(as_text=True)
    assert "… hours a month for staff to take part in PSL sessions" in form  # the template, prefilled
    prefilled = form.split('name="prefilled" type="hidden" value="')[1].split('"')[0]
    response = client.post(f"/homes/{home.id}/agreements/new", data={
        **FIGURES, "sponsor_contact_id": str(home.contacts[0].id), "text": prefilled.replace("&#39;", "'"),
        "prefilled": prefilled.replace("&#39;", "'"), "csrf_token": csrf_token(form)})
    assert response.status_code == 302, response.get_data(as_text=True)
    (draft,) = agreements_of(home)
    assert (draft.status, draft.sponsor_name, draft.review_on) == ("draft", home.contacts[0].name,
                                                                   date(2027, 3, 1))
    assert "3 hours a month for staff to take part in PSL sessions" in draft.text, "written with the figures"
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert client.post(f"/agreements/{draft.id}/send").status_code == 400  # CSRF
    sending = client.post(f"/agreements/{draft.id}/send", data={"csrf_token": csrf_token(page)})
    assert sending.status_code == 302
    _report, sent = deliver(app)
    assert [m.to for m in sent] == [home.contacts[0].email]
    assert "/a/" in sent[0].text
    response = auth.post(f"/agreements/{draft.id}/paper",
                         {"signed_by": "Morag Baird", "signed_on": "2026-03-09"})
    assert response.status_code == 302
    (signed,) = agreements_of(home)
    assert (signed.status, signed.accepted_by, signed.agreed_on) == ("signed_on_paper", "Morag Baird",
                                                                     date(2026, 3, 9))
    shown = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "Signed on paper (9 March 2026, Morag Baird)" in shown


def test_wording_changed_by_hand_is_kept(auth, client, world):
    facilitator, _group, home, _other = world
    auth.login(facilitator)
    response = auth.post(f"/homes/{home.id}/agreements/new", {
        **FIGURES, "sponsor_contact_id": "", "sponsor_name": "Morag Baird",
        "sponsor_email": "Morag@Board.example", "text": "Our own words.", "prefilled": "The standard words."})
    assert response.status_code == 302
    (draft,) = agreements_of(home)
    assert (draft.text, draft.sponsor_email, draft.sponsor_contact_id) == (
        "Our own words.", "morag@board.example", None)


def test_the_agreement_form_shows_every_problem_at_once_and_saves_nothing(auth, client, world):
    facilitator, _group, home, other = world
    auth.login(facilitator)
    response = auth.post(f"/homes/{home.id}/agreements/new", {
        "psl_hours_per_month": "-1", "implementation_hours_per_month": "", "task_hours_per_month": "800",
        "starts_on": "2026-03-01", "review_on": "2026-02-01",
        "sponsor_contact_id": str(other.contacts[0].id)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "from 0 to 744" in beside(html, "psl_hours_per_month")
    assert "Enter the hours a month" in beside(html, "implementation_hours_per_month")
    assert "from 0 to 744" in beside(html, "task_hours_per_month")
    assert "before the start" in beside(html, "review_on")
    assert "Not a contact of this home." in beside(html, "sponsor_contact_id")
    nobody = auth.post(f"/homes/{home.id}/agreements/new", {**FIGURES, "sponsor_contact_id": ""})
    html = nobody.get_data(as_text=True)
    assert "Name the sponsor" in beside(html, "sponsor_name") and "email" in beside(html, "sponsor_email")
    assert agreements_of(home) == []


def test_a_signed_letter_needs_who_and_a_day_not_in_the_future(auth, client, world):
    facilitator, _group, home, _other = world
    auth.login(facilitator)
    auth.post(f"/homes/{home.id}/agreements/new", {**FIGURES, "sponsor_contact_id": str(home.contacts[0].id)})
    (draft,) = agreements_of(home)
    response = auth.post(f"/agreements/{draft.id}/paper", {"signed_by": " ", "signed_on": "2026-03-11"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter who signed it." in beside(html, "signed_by")
    assert "not in the future" in beside(html, "signed_on")
    assert agreements_of(home)[0].status == "draft"


def test_only_those_who_manage_the_home_draft_send_or_record(auth, client, make, world):
    _facilitator, group, home, _other = world
    auth.login(world[0])
    auth.post(f"/homes/{home.id}/agreements/new", {**FIGURES, "sponsor_contact_id": str(home.contacts[0].id)})
    (draft,) = agreements_of(home)
    urls = (f"/homes/{home.id}/agreements/new", f"/agreements/{draft.id}/paper",
            f"/groups/{group.id}/members/{home.id}/readiness")
    auth.logout()
    auth.login("facilitator")  # of another group
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    assert auth.post(f"/agreements/{draft.id}/send", {}, page="/").status_code == 403
    assert "Draft an agreement" not in client.get(f"/homes/{home.id}").get_data(as_text=True)
    auth.logout()
    auth.login("lead")
    assert [client.get(url).status_code for url in urls] == [403, 403, 403]
    assert "Visit, manager, champion" not in client.get(f"/groups/{group.id}").get_data(as_text=True)
    auth.logout()
    auth.login("admin")
    assert [client.get(url).status_code for url in urls] == [200, 200, 200]
    assert agreements_of(home)[0].status == "draft"


def test_the_facilitator_records_a_homes_readiness_on_the_group_page(auth, client, world):
    facilitator, group, home, other = world
    auth.login(facilitator)
    page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    url = f"/groups/{group.id}/members/{home.id}/readiness"
    assert f'href="{url}"' in page
    response = auth.post(url, {"visited_on": "2026-02-10", "visited_by": " Ailsa  Grant ",
                               "met_manager_on": "2026-02-11",
                               "champion_contact_id": str(home.contacts[1].id)})
    assert response.status_code == 302
    row = db.session.scalar(select(MembershipReadiness))
    assert (row.visited_on, row.visited_by, row.met_manager_on, row.champion_contact_id) == (
        date(2026, 2, 10), "Ailsa Grant", date(2026, 2, 11), home.contacts[1].id)
    assert "3 of 7" in client.get(f"/groups/{group.id}").get_data(as_text=True)
    again = client.get(url).get_data(as_text=True)
    assert 'value="2026-02-10"' in again and "Ailsa Grant" in again
    auth.post(url, {"visited_on": "2026-02-10", "met_manager_on": "2026-02-11",
                    "device_tested_on": "2026-02-12", "champion_contact_id": str(home.contacts[1].id)})
    group_page = client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "4 of 7" in group_page, "a device test the facilitator saw counts"
    assert client.get(f"/groups/{group.id}/members/{other.id}/readiness").status_code == 404  # not a member


def test_the_readiness_form_shows_every_problem_at_once(auth, client, world):
    facilitator, group, home, other = world
    auth.login(facilitator)
    url = f"/groups/{group.id}/members/{home.id}/readiness"
    response = auth.post(url, {"visited_on": "2026-03-11", "met_manager_on": "not a date",
                               "champion_contact_id": str(other.contacts[0].id)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "between 1900 and today" in beside(html, "visited_on")
    assert beside(html, "met_manager_on")
    assert "Not an active contact of this home." in beside(html, "champion_contact_id")
    db.session.rollback()
    assert db.session.scalar(select(MembershipReadiness)) is None
