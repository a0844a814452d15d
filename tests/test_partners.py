"""Partner organisations (issue 17): the directory through the API, its all-or-nothing CSV import,
homes' council areas and their partner contacts, with who may write what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from facilitator.admin import services
from facilitator.clock import local_today
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.extensions import db
from facilitator.models import CareHome, Partner, PartnerArea, PartnerContact, PartnerSpecialism
from tests.support.factories import ApiClient, Factory

PARTNER_KEYS = {"id", "name", "areas", "specialisms", "referral_route", "website", "phone", "email",
                "last_checked_on"}
HEADER = "name,areas,specialisms,referral_route,website,phone,email,last_checked_on\n"


def error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"message", "fields"}
    if field is not None:
        assert field in body["error"]["fields"], body
    return body["error"]


def table_counts() -> dict[str, int]:
    db.session.rollback()
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
            for m in (Partner, PartnerArea, PartnerSpecialism, PartnerContact)}


def stored_partners() -> dict[str, tuple[list[str], list[str], str]]:
    db.session.rollback()
    return {p.name: (p.areas, p.specialisms, p.website) for p in db.session.scalars(select(Partner))}


@pytest.fixture
def admin(api: ApiClient) -> ApiClient:
    api.as_user("admin")
    return api


def as_role(app: Any, make: Factory, role_or_user: Any) -> ApiClient:
    other = ApiClient(app, make)
    other.as_user(role_or_user)
    return other


def rape_crisis(**changes: Any) -> dict[str, Any]:
    return {"name": "Fife Rape and Sexual Assault Centre", "areas": ["fife"],
            "specialisms": ["sexual_violence", "older_adults"],
            "referral_route": "Self-referral by phone or email; staff can refer with consent.",
            "website": "https://www.frasac.org.uk", "phone": "01592 642336", "email": "",
            "last_checked_on": "2026-11-30", **changes}


def import_csv(api: ApiClient, text: str, bom: bool = False) -> Any:
    body = ("\ufeff" + text if bom else text).encode("utf-8")
    return api.post("/api/v1/partners/import", data=body, content_type="text/csv")


# The directory through the API --------------------------------------------------------------------

def names(reader: ApiClient, **query: str) -> list[str]:
    return [p["name"] for p in reader.get("/api/v1/partners", query_string=query).get_json()["partners"]]


def test_an_admin_adds_a_partner_and_readers_find_it_by_area_and_specialism(app, make, admin):
    created = admin.post("/api/v1/partners", json=rape_crisis())
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) == PARTNER_KEYS
    assert body["areas"] == ["fife"] and body["specialisms"] == ["older_adults", "sexual_violence"]
    admin.post("/api/v1/partners", json=rape_crisis(
        name="Cruse Scotland", areas=list(COUNCIL_AREAS), specialisms=["bereavement"],
        website="https://www.crusescotland.org.uk"))
    for role in ("lead", "facilitator"):
        reader = as_role(app, make, role)
        assert names(reader) == ["Cruse Scotland", "Fife Rape and Sexual Assault Centre"]
        assert names(reader, local_authority="fife", specialism="sexual_violence") == [
            "Fife Rape and Sexual Assault Centre"]
        assert names(reader, local_authority="highland") == ["Cruse Scotland"]
        assert names(reader, specialism="dementia") == []


@pytest.mark.parametrize(("query", "field"), [
    ({"local_authority": "gotham"}, "local_authority"),
    ({"specialism": "astrology"}, "specialism"),
])
def test_an_unknown_area_or_specialism_in_the_filter_is_422(admin, query, field):
    error(admin.get("/api/v1/partners", query_string=query), 422, field)


@pytest.mark.parametrize(("change", "field"), [
    ({"areas": ["gotham"]}, "areas"),
    ({"areas": []}, "areas"),
    ({"specialisms": ["astrology"]}, "specialisms"),
    ({"specialisms": []}, "specialisms"),
    ({"name": "  "}, "name"),
    ({"website": "http://www.frasac.org.uk"}, "website"),
    ({"website": "javascript:alert(1)"}, "website"),
    ({"email": "not-an-address"}, "email"),
    ({"phone": "call us!"}, "phone"),
    ({"last_checked_on": (date.today() + timedelta(days=400)).isoformat()}, "last_checked_on"),
    ({"colour": "red"}, "colour"),
])
def test_bad_partner_details_are_422_naming_the_field_and_nothing_is_stored(admin, change, field):
    error(admin.post("/api/v1/partners", json=rape_crisis(**change)), 422, field)
    assert table_counts()["Partner"] == 0


def test_every_problem_is_named_at_once(admin):
    fields = error(admin.post("/api/v1/partners", json=rape_crisis(areas=["gotham"], specialisms=["x"],
                                                                    website="ftp://x")), 422)["fields"]
    assert {"areas", "specialisms", "website"} <= set(fields)


def test_a_second_partner_of_the_same_name_is_refused(admin):
    assert admin.post("/api/v1/partners", json=rape_crisis()).status_code == 201
    twin = rape_crisis(name="fife rape and  sexual assault centre")
    error(admin.post("/api/v1/partners", json=twin), 422, "name")


def test_patch_changes_only_what_it_names(admin):
    partner_id = admin.post("/api/v1/partners", json=rape_crisis()).get_json()["id"]
    changed = admin.patch(f"/api/v1/partners/{partner_id}", json={"areas": ["fife", "City of Edinburgh"]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["areas"] == ["city_of_edinburgh", "fife"]
    assert stored_partners()["Fife Rape and Sexual Assault Centre"] == (
        ["city_of_edinburgh", "fife"], ["older_adults", "sexual_violence"], "https://www.frasac.org.uk")
    error(admin.patch(f"/api/v1/partners/{partner_id}", json={"name": None}), 422, "name")
    error(admin.patch(f"/api/v1/partners/{partner_id}", json={"specialisms": ["nope"]}), 422, "specialisms")
    assert admin.patch(f"/api/v1/partners/{partner_id}", json={"last_checked_on": None}).get_json()[
        "last_checked_on"] is None
    assert admin.patch("/api/v1/partners/2147483647", json={}).status_code == 404


@pytest.mark.parametrize("role", ["lead", "facilitator", "supervisor"])
def test_only_admins_write_the_directory(app, make, admin, role):
    partner_id = admin.post("/api/v1/partners", json=rape_crisis()).get_json()["id"]
    other = as_role(app, make, role)
    error(other.post("/api/v1/partners", json=rape_crisis(name="Another")), 403)
    error(other.patch(f"/api/v1/partners/{partner_id}", json={"name": "Renamed"}), 403)
    error(import_csv(other, HEADER + "X,fife,other,,,,,\n"), 403)
    assert set(stored_partners()) == {"Fife Rape and Sexual Assault Centre"}


# CSV import ---------------------------------------------------------------------------------------

GOOD_ROWS = (
    "Fife Rape and Sexual Assault Centre,Fife,sexual_violence;older_adults,By phone,https://www.frasac.org.uk,"
    "01592 642336,,2026-11-30\n"
    "Cruse Scotland,all,bereavement,Helpline,https://www.crusescotland.org.uk,0808 802 6161,,30/11/2026\n"
)


@pytest.mark.parametrize("bom", [False, True])
def test_a_good_file_creates_then_updates_by_name(admin, bom):
    first = import_csv(admin, HEADER + GOOD_ROWS, bom=bom)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {"created": 2, "updated": 0, "errors": []}
    stored = stored_partners()
    assert stored["Cruse Scotland"][0] == sorted(COUNCIL_AREAS)
    assert stored["Fife Rape and Sexual Assault Centre"][:2] == (["fife"],
                                                                 ["older_adults", "sexual_violence"])
    again = import_csv(admin, "specialisms,name,areas\n"
                       "sexual_violence,FIFE RAPE AND SEXUAL ASSAULT CENTRE,fife;angus\n"
                       "other,Age Scotland,all\n")
    assert again.get_json() == {"created": 1, "updated": 1, "errors": []}
    stored = stored_partners()  # the file's spelling of the name wins; columns it lacks are kept
    assert stored["FIFE RAPE AND SEXUAL ASSAULT CENTRE"] == (["angus", "fife"], ["sexual_violence"],
                                                            "https://www.frasac.org.uk")
    assert len(stored) == 3


def test_a_file_with_bad_rows_imports_nothing_and_names_each_row_and_column(admin):
    import_csv(admin, HEADER + GOOD_ROWS)
    before, partners_before = table_counts(), stored_partners()
    bad = (HEADER + GOOD_ROWS.replace("sexual_violence;older_adults", "older_adults")  # a good update...
           + "Gotham Helpers,Gotham,other,,http://gotham.example,,,\n"               # row 4: area, website
           + "New And Fine,angus,dementia,,,,,\n"                                     # row 5: good
           + ",angus,astrology,,,,not-an-email,31/02/2026\n"                          # row 6: four problems
           + "cruse scotland,angus,bereavement,,,,,\n")                               # row 7: name twice
    response = import_csv(admin, bad)
    assert response.status_code == 422
    body = response.get_json()
    assert body["created"] == 0 and body["updated"] == 0
    found = {(e["row"], e["field"]) for e in body["errors"]}
    assert found == {(4, "areas"), (4, "website"), (6, "name"), (6, "specialisms"), (6, "email"),
                     (6, "last_checked_on"), (7, "name")}
    assert all(e["message"] for e in body["errors"])
    assert table_counts() == before and stored_partners() == partners_before


@pytest.mark.parametrize(("text", "field"), [
    ("name,specialisms\nX,other\n", "areas"),
    ("name,areas,specialisms,colour\nX,fife,other,red\n", "colour"),
    ("name,areas,specialisms\n", "body"),
    ("name,areas,specialisms\nX,fife,other,surplus\n", "row"),
])
def test_header_and_shape_problems_are_reported_as_rows(admin, text, field):
    response = import_csv(admin, text)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.get_json()["errors"]}
    assert table_counts()["Partner"] == 0


def test_a_body_that_is_not_utf8_csv_is_refused(admin):
    latin = (HEADER + "Caf\xe9,fife,other,,,,,\n").encode("latin-1")
    error(admin.post("/api/v1/partners/import", data=latin, content_type="text/csv"), 400, "body")
    error(admin.post("/api/v1/partners/import", json={"name": "x"}), 400, "body")
    assert table_counts()["Partner"] == 0


# Homes' council areas and partner contacts ------------------------------------------------------

def test_a_home_has_a_council_area_from_the_fixed_list(admin):
    created = admin.post("/api/v1/homes", json={"name": "Seaview", "local_authority": "fife"})
    assert created.status_code == 201 and created.get_json()["local_authority"] == "fife"
    home_id = created.get_json()["id"]
    error(admin.post("/api/v1/homes", json={"name": "Nowhere", "local_authority": "gotham"}), 422,
          "local_authority")
    error(admin.patch(f"/api/v1/homes/{home_id}", json={"local_authority": "Fife"}), 422, "local_authority")
    cleared = admin.patch(f"/api/v1/homes/{home_id}", json={"local_authority": None})
    assert cleared.get_json()["local_authority"] is None
    db.session.rollback()
    assert db.session.get(CareHome, home_id).local_authority is None


def _partner(admin: ApiClient) -> int:
    return admin.post("/api/v1/partners", json=rape_crisis()).get_json()["id"]


def test_facilitators_of_the_homes_groups_record_its_partner_contacts(app, make, admin):
    partner_id = _partner(admin)
    facilitator, stranger = make.user("facilitator"), make.user("facilitator")
    home = make.home(local_authority="fife")
    make.group(facilitators=[facilitator], homes=[home])
    make.group(facilitators=[stranger], homes=[make.home()])
    body = {"partner_id": partner_id, "contacted_on": local_today().isoformat(),
            "outcome": "Agreed a session for staff on supporting older survivors.", "next_step": "Book it"}
    url = f"/api/v1/homes/{home.id}/partner-contacts"
    created = as_role(app, make, facilitator).post(url, json=body)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["partner_name"] == "Fife Rape and Sexual Assault Centre"
    assert created.get_json()["recorded_by_id"] == facilitator.id
    error(as_role(app, make, stranger).post(url, json=body), 403)
    error(as_role(app, make, "lead").post(url, json=body), 403)
    assert admin.post(url, json={**body, "outcome": "Followed up"}).status_code == 201
    listed = as_role(app, make, "lead").get(url).get_json()["partner_contacts"]
    assert [c["outcome"] for c in listed] == ["Followed up", body["outcome"]]


@pytest.mark.parametrize(("change", "field"), [
    ({"partner_id": 2147483647}, "partner_id"),
    ({"contacted_on": (date.today() + timedelta(days=400)).isoformat()}, "contacted_on"),
    ({"outcome": " "}, "outcome"),
    ({"outcome": None}, "outcome"),
])
def test_bad_partner_contacts_are_422(make, admin, change, field):
    home = make.home()
    body = {"partner_id": _partner(admin), "contacted_on": "2026-11-02", "outcome": "Spoke", **change}
    error(admin.post(f"/api/v1/homes/{home.id}/partner-contacts", json=body), 422, field)
    assert table_counts()["PartnerContact"] == 0


def test_once_the_home_has_left_the_group_its_facilitators_no_longer_record_for_it(app, make, admin):
    partner_id = _partner(admin)
    facilitator, home = make.user("facilitator"), make.home()
    group = make.group(facilitators=[facilitator], homes=[home], joined_on=local_today() - timedelta(days=60))
    body = {"partner_id": partner_id, "contacted_on": local_today().isoformat(), "outcome": "Spoke"}
    url = f"/api/v1/homes/{home.id}/partner-contacts"
    assert as_role(app, make, facilitator).post(url, json=body).status_code == 201
    services.end_membership(group, home.id, local_today())
    db.session.commit()
    error(as_role(app, make, facilitator).post(url, json=body), 403)
