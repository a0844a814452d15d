"""The readiness checklist per home in a group (issue 17): items that tick themselves from the
data (sponsor, agreement, first assessment), those the facilitator records (visit, manager met,
champion), the API's roles and refusals, and the group page's "5 of 7"."""

from __future__ import annotations

from datetime import date

import pytest

from facilitator.conditions import agreements
from facilitator.extensions import db
from facilitator.journey.frameworks import current_framework
from facilitator.models import Assessment
from tests.support.factories import Factory

TODAY = date(2026, 3, 10)


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW="2026-03-10T12:00:00+00:00", MAIL_BACKEND="memory")
    with app.app_context():
        yield app


@pytest.fixture
def world(make: Factory):
    facilitator = make.user("facilitator")
    ready, new = make.home("Ardenlea House"), make.home("Bellfield Court")
    group = make.group("West PSL", facilitators=[facilitator], homes=[ready, new], joined_on=date(2026, 1, 5))
    return facilitator, group, ready, new


def readiness_of(api, group) -> dict[str, dict]:
    response = api.get(f"/api/v1/groups/{group.id}/readiness")
    assert response.status_code == 200
    return {h["home_name"]: h for h in response.get_json()["homes"]}


def test_a_new_home_has_nothing_done(api, world):
    facilitator, group, _ready, _new = world
    api.as_user(facilitator)
    home = readiness_of(api, group)["Bellfield Court"]
    assert home["ready"] is False
    assert {k: v["done"] for k, v in home["items"].items()} == dict.fromkeys((
        "visited", "met_manager", "sponsor", "agreement", "champion", "device_tested", "first_assessment"),
        False)
    assert home["items"]["device_tested"]["detail"] == "not recorded yet"
    assert home["items"]["first_assessment"]["detail"] == "not recorded yet"
    assert home["items"]["agreement"]["detail"] == "no agreement yet"


def test_items_tick_themselves_from_agreements_and_assessments(api, world):
    facilitator, group, home, _new = world
    data = agreements.AgreementData(3, 1, 2, date(2026, 3, 1), sponsor_name="Morag Baird",
                                    sponsor_email="morag@board.example")
    agreement = agreements.send_agreement(agreements.create_agreement(home, data, facilitator))
    db.session.commit()
    api.as_user(facilitator)
    items = readiness_of(api, group)["Ardenlea House"]["items"]
    assert items["sponsor"] == {"done": True, "on": None, "detail": "Morag Baird"}
    assert items["agreement"]["done"] is False and items["agreement"]["detail"] == "sent"
    agreements.record_paper(agreement, date(2026, 3, 8), "Morag Baird")
    db.session.add(Assessment(home_id=home.id, framework_id=current_framework().id, round=1,
                              started_on=date(2026, 2, 2)))
    db.session.commit()
    items = readiness_of(api, group)["Ardenlea House"]["items"]
    assert items["agreement"] == {"done": True, "on": "2026-03-08", "detail": "review on 1 March 2027"}
    assert items["first_assessment"] == {"done": True, "on": "2026-02-02", "detail": None}


def test_the_facilitator_records_the_visit_the_manager_and_the_champion(api, world):
    facilitator, group, home, _new = world
    api.as_user(facilitator)
    url = f"/api/v1/groups/{group.id}/members/{home.id}/readiness"
    response = api.patch(url, json={"visited_on": "2026-02-10", "visited_by": " Ailsa  Grant ",
                                    "met_manager_on": "2026-02-10",
                                    "champion_contact_id": home.contacts[1].id})
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert items["visited"] == {"done": True, "on": "2026-02-10", "detail": "Ailsa Grant"}
    assert items["met_manager"]["done"] is True
    assert items["champion"] == {"done": True, "on": None, "detail": home.contacts[1].name}
    again = api.patch(url, json={"visited_on": None})
    assert again.get_json()["items"]["visited"]["done"] is False
    assert again.get_json()["items"]["met_manager"]["done"] is True, "only the fields given change"


@pytest.mark.parametrize(("body", "field"), [
    ({"visited_on": "2026-03-11"}, "visited_on"),
    ({"met_manager_on": "yesterday"}, "met_manager_on"),
    ({"champion_contact_id": 0}, "champion_contact_id"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_input_is_refused_naming_the_field(api, world, body, field):
    facilitator, group, home, _new = world
    api.as_user(facilitator)
    response = api.patch(f"/api/v1/groups/{group.id}/members/{home.id}/readiness", json=body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_champion_of_another_home_and_a_home_not_in_the_group_are_refused(api, world, make):
    facilitator, group, home, new = world
    outsider = make.home("Corrie View")
    api.as_user(facilitator)
    url = f"/api/v1/groups/{group.id}/members/{home.id}/readiness"
    response = api.patch(url, json={"champion_contact_id": new.contacts[0].id})
    assert response.status_code == 422 and "champion_contact_id" in response.get_json()["error"]["fields"]
    response = api.patch(f"/api/v1/groups/{group.id}/members/{outsider.id}/readiness",
                         json={"visited_on": "2026-03-01"})
    assert response.status_code == 422 and "home_id" in response.get_json()["error"]["fields"]


def test_who_may_read_and_write(api, world):
    _facilitator, group, home, _new = world
    url = f"/api/v1/groups/{group.id}/members/{home.id}/readiness"
    api.as_user("facilitator")  # of another group
    assert api.get(f"/api/v1/groups/{group.id}/readiness").status_code == 404
    assert api.patch(url, json={"visited_on": "2026-03-01"}).status_code == 403
    api.as_user("lead")
    assert api.get(f"/api/v1/groups/{group.id}/readiness").status_code == 200
    assert api.patch(url, json={"visited_on": "2026-03-01"}).status_code == 403
    api.as_user("admin")
    assert api.patch(url, json={"visited_on": "2026-03-01"}).status_code == 200


def test_the_group_page_shows_each_homes_readiness(api, world, auth):
    facilitator, group, home, _new = world
    api.as_user(facilitator)
    api.patch(f"/api/v1/groups/{group.id}/members/{home.id}/readiness",
              json={"visited_on": "2026-02-10", "met_manager_on": "2026-02-10"})
    auth.login(facilitator)
    page = auth.client.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "2 of 7" in page and "0 of 7" in page
    assert "Device tested" in page and "Sponsor named" in page


def test_a_device_test_the_facilitator_recorded_ticks_the_item_when_the_home_has_none(api, world):
    facilitator, group, home, _new = world
    api.as_user(facilitator)
    url = f"/api/v1/groups/{group.id}/members/{home.id}/readiness"
    future = api.patch(url, json={"device_tested_on": "2999-01-01"})
    assert future.status_code == 422 and "device_tested_on" in future.get_json()["error"]["fields"]
    item = api.patch(url, json={"device_tested_on": "2026-02-12"}).get_json()["items"]["device_tested"]
    assert item == {"done": True, "on": "2026-02-12", "detail": "recorded by the facilitator"}
