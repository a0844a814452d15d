"""The resource library (issue 19): its rules, the API with its filters and who may write, the
all-or-nothing CSV import, the staff screens and the demo's dozen real resources."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from facilitator.demo_resources import RESOURCES, load_resources
from facilitator.extensions import db
from facilitator.models import Resource, ResourceTopic
from facilitator.resources.services import ResourceData, resource_problems, save_resource
from tests.support.factories import ApiClient, Factory, csrf_token

RESOURCE_KEYS = {"id", "title", "publisher", "url", "format", "ksf_level", "topics", "minutes",
                 "paper_friendly", "description", "last_checked_on"}
HEADER = "title,publisher,url,format,ksf_level,topics,minutes,paper_friendly\n"


def opening_doors(**changes: Any) -> dict[str, Any]:
    return {"title": "Opening Doors: Trauma Informed Practice for the Workforce", "publisher": "nes",
            "url": "https://www.nes.scot.nhs.uk/", "format": "animation", "ksf_level": "informed",
            "topics": ["Introduction", "staff  wellbeing"], "minutes": 9, "paper_friendly": False,
            "description": "Short animation for any worker.", "last_checked_on": None, **changes}


def resource_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Resource))


def as_role(app: Any, make: Factory, role: str) -> ApiClient:
    other = ApiClient(app, make)
    other.as_user(role)
    return other


def error_fields(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    return response.get_json()["error"]["fields"]


# The rules ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field", "message"), [
    ({"title": "  "}, "title", "Enter the resource's title."),
    ({"title": "x" * 201}, "title", "Up to 200 characters."),
    ({"url": "http://www.nes.scot.nhs.uk/"}, "url", "starting https://"),
    ({"url": "https://"}, "url", "starting https://"),
    ({"url": "javascript:alert(1)"}, "url", "starting https://"),
    ({"publisher": "bbc"}, "publisher", "Choose one of: nttp, nes,"),
    ({"format": "vinyl"}, "format", "Choose one of: e_module,"),
    ({"ksf_level": "expert"}, "ksf_level", "Choose one of: informed, skilled,"),
    ({"minutes": 0}, "minutes", "from 1 to 600"),
    ({"minutes": 601}, "minutes", "from 1 to 600"),
    ({"topics": ["x" * 41]}, "topics", "Each topic up to 40 characters."),
    ({"topics": [f"topic {n}" for n in range(11)]}, "topics", "Up to 10 topics."),
    ({"description": "y" * 1001}, "description", "Up to 1000 characters."),
    ({"last_checked_on": date.today() + timedelta(days=400)}, "last_checked_on", "cannot be in the future"),
])
def test_each_bad_field_has_its_message(app, change, field, message):
    problems = resource_problems(ResourceData(**opening_doors(**change)))
    assert set(problems) == {field} and message in problems[field]


def test_good_details_have_no_problems(app):
    assert resource_problems(ResourceData(**opening_doors())) == {}
    assert resource_problems(ResourceData(**opening_doors(minutes=None, topics=["a"] * 12))) == {}


# The API ----------------------------------------------------------------------------------------------

DOORS = "Opening Doors: Trauma Informed Practice for the Workforce"


def titles(reader: ApiClient, **query: str) -> list[str]:
    response = reader.get("/api/v1/resources", query_string=query)
    assert response.status_code == 200, response.get_json()
    return [r["title"] for r in response.get_json()["resources"]]


def test_a_facilitator_adds_a_resource_and_the_lead_filters_by_level_topic_format_and_words(app, make, api):
    api.as_user("facilitator")
    created = api.post("/api/v1/resources", json=opening_doors(last_checked_on="2026-11-30"))
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) == RESOURCE_KEYS
    assert body["topics"] == ["introduction", "staff wellbeing"] and body["last_checked_on"] == "2026-11-30"
    api.post("/api/v1/resources", json=opening_doors(
        title="Trauma-Informed Practice: A Toolkit for Scotland", publisher="scottish_government",
        url="https://www.gov.scot/publications/trauma-informed-practice-toolkit-scotland/", format="document",
        ksf_level="enhanced", topics=["leadership"], minutes=None, description="Questions for services."))
    lead = as_role(app, make, "lead")
    assert titles(lead) == ["Opening Doors: Trauma Informed Practice for the Workforce",
                            "Trauma-Informed Practice: A Toolkit for Scotland"]
    assert titles(lead, level="enhanced") == ["Trauma-Informed Practice: A Toolkit for Scotland"]
    assert titles(lead, format="animation") == ["Opening Doors: Trauma Informed Practice for the Workforce"]
    assert titles(lead, topic="Staff Wellbeing") == [DOORS]
    assert titles(lead, topic="leadership", level="enhanced", format="document") == [
        "Trauma-Informed Practice: A Toolkit for Scotland"]
    assert titles(lead, q="TOOLKIT") == ["Trauma-Informed Practice: A Toolkit for Scotland"]
    assert titles(lead, q="any worker") == ["Opening Doors: Trauma Informed Practice for the Workforce"]
    assert titles(lead, q="100%") == [] and titles(lead, topic="older adults") == []


@pytest.mark.parametrize(("query", "field"), [({"level": "expert"}, "level"),
                                              ({"format": "vinyl"}, "format")])
def test_an_unknown_level_or_format_in_the_filter_is_422_naming_it(api, query, field):
    api.as_user("lead")
    assert field in error_fields(api.get("/api/v1/resources", query_string=query))


def test_every_problem_is_named_at_once_and_nothing_is_stored(api):
    api.as_user("admin")
    fields = error_fields(api.post("/api/v1/resources", json=opening_doors(
        title="", url="http://x", publisher="bbc", minutes=0)))
    assert {"title", "url", "publisher", "minutes"} <= set(fields)
    assert resource_count() == 0


def test_patch_changes_only_what_it_names(api):
    api.as_user("facilitator")
    resource_id = api.post("/api/v1/resources", json=opening_doors()).get_json()["id"]
    changed = api.patch(f"/api/v1/resources/{resource_id}",
                        json={"topics": ["older adults"], "minutes": None})
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["topics"], body["minutes"], body["format"]) == (["older adults"], None, "animation")
    db.session.rollback()
    assert list(db.session.scalars(select(ResourceTopic.topic))) == ["older adults"]
    assert "url" in error_fields(api.patch(f"/api/v1/resources/{resource_id}", json={"url": "ftp://x"}))
    assert "title" in error_fields(api.patch(f"/api/v1/resources/{resource_id}", json={"title": None}))
    assert api.patch("/api/v1/resources/999999", json={"minutes": 5}).status_code == 404


def test_leads_read_but_do_not_write_and_supervisors_do_not_read(app, make, api):
    api.as_user("admin")
    resource_id = api.post("/api/v1/resources", json=opening_doors()).get_json()["id"]
    lead = as_role(app, make, "lead")
    assert lead.get("/api/v1/resources").status_code == 200
    other = opening_doors(url="https://www.nes.scot.nhs.uk/x")
    assert lead.post("/api/v1/resources", json=other).status_code == 403
    assert lead.patch(f"/api/v1/resources/{resource_id}", json={"minutes": 5}).status_code == 403
    assert as_role(app, make, "supervisor").get("/api/v1/resources").status_code == 403
    assert resource_count() == 1


# The CSV import -----------------------------------------------------------------------------------------

def _upload(auth, text: str) -> Any:
    html = auth.client.get("/resources/import").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "file": (io.BytesIO(("\ufeff" + text).encode()), "resources.csv")}
    return auth.client.post("/resources/import", data=data, content_type="multipart/form-data")


GOOD_ROW = ("Opening Doors,nes,https://www.nes.scot.nhs.uk/,animation,informed,"
            "introduction;staff wellbeing,9,no\n")
TOOLKIT_ROW = ("Toolkit,scottish_government,https://www.gov.scot/publications/trauma-informed-practice-"
               "toolkit-scotland/,document,enhanced,leadership,,yes\n")


def test_a_good_file_imports_every_row_and_a_second_import_updates_by_address(auth):
    auth.login("facilitator")
    response = _upload(auth, HEADER + GOOD_ROW + TOOLKIT_ROW)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert resource_count() == 2
    toolkit = db.session.scalar(select(Resource).where(Resource.title == "Toolkit"))
    assert (toolkit.paper_friendly, toolkit.minutes, toolkit.topics) == (True, None, ["leadership"])
    assert _upload(auth, HEADER + TOOLKIT_ROW.replace("Toolkit,", "The toolkit,", 1)).status_code == 302
    assert resource_count() == 2
    assert db.session.get(Resource, toolkit.id).title == "The toolkit"


def test_one_bad_row_imports_nothing_and_the_row_is_listed(auth):
    auth.login("admin")
    bad = "Bad,bbc,http://insecure.example/,vinyl,informed,,lots,maybe\n"
    response = _upload(auth, HEADER + GOOD_ROW + bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html
    for column in ("publisher", "url", "format", "minutes", "paper_friendly"):
        assert f"<td>3</td><td>{column}</td>" in html, column
    assert "<td>2</td>" not in html
    assert resource_count() == 0


def test_a_file_with_an_unknown_column_or_the_same_address_twice_imports_nothing(auth):
    auth.login("admin")
    html = _upload(auth, "title,colour\nx,red\n").get_data(as_text=True)
    assert "<td>1</td><td>colour</td>" in html and "<td>1</td><td>url</td>" in html
    html = _upload(auth, HEADER + GOOD_ROW + GOOD_ROW).get_data(as_text=True)
    assert "This address is also on row 2." in html
    assert resource_count() == 0


def test_an_address_shared_by_several_resources_is_not_guessed_at(auth, make):
    for title in ("Opening Doors", "Sowing Seeds"):
        save_resource(ResourceData(**opening_doors(title=title)))
    db.session.commit()
    auth.login("admin")
    html = _upload(auth, HEADER + GOOD_ROW).get_data(as_text=True)
    assert "Several resources in the library have this address" in html
    assert sorted(r.title for r in db.session.scalars(select(Resource))) == ["Opening Doors", "Sowing Seeds"]


def test_a_lead_cannot_import(auth):
    auth.login("lead")
    assert auth.client.get("/resources/import").status_code == 403


# The screens ---------------------------------------------------------------------------------------------

def test_the_form_shows_every_problem_at_once_and_saves_nothing(auth):
    auth.login("facilitator")
    response = auth.post("/resources/new", {"title": "", "url": "http://insecure.example", "minutes": "900",
                                            "topics": "x" * 41})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for message in ("Enter the resource&#39;s title.", "starting https://", "Choose one of: nttp",
                    "Choose one of: e_module", "Choose one of: informed", "from 1 to 600",
                    "Each topic up to 40 characters."):
        assert message in html, message
    assert resource_count() == 0


def test_a_facilitator_adds_and_edits_a_resource_and_everyone_who_reads_finds_it(auth, client):
    auth.login("facilitator")
    response = auth.post("/resources/new", {"title": "Opening Doors", "publisher": "nes",
                                            "url": "https://www.nes.scot.nhs.uk/", "format": "animation",
                                            "ksf_level": "informed", "topics": "Introduction; older adults",
                                            "minutes": "9", "paper_friendly": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = db.session.scalar(select(Resource))
    assert (saved.topics, saved.minutes, saved.paper_friendly) == (["introduction", "older adults"], 9, True)
    form = client.get(f"/resources/{saved.id}/edit").get_data(as_text=True)
    assert 'value="introduction; older adults"' in form
    response = auth.post(f"/resources/{saved.id}/edit", {"title": "Opening Doors", "publisher": "nes",
                                                         "url": "https://www.nes.scot.nhs.uk/",
                                                         "format": "video", "ksf_level": "skilled",
                                                         "topics": "older adults", "minutes": ""})
    assert response.status_code == 302
    db.session.rollback()
    again = db.session.get(Resource, saved.id)
    assert (again.format, again.ksf_level, again.topics, again.minutes) == ("video", "skilled",
                                                                           ["older adults"], None)
    auth.logout()
    auth.login("lead")
    page = client.get("/resources?topic=older+adults&level=skilled").get_data(as_text=True)
    assert "Opening Doors" in page and 'href="https://www.nes.scot.nhs.uk/"' in page
    assert "Add a resource" not in page
    assert "Opening Doors" not in client.get("/resources?format=animation").get_data(as_text=True)
    assert client.get("/resources?level=expert").status_code == 200  # filters nothing
    assert client.get(f"/resources/{saved.id}/edit").status_code == 403


# The demo --------------------------------------------------------------------------------------------------

def test_the_demo_seeds_a_dozen_real_resources_with_https_addresses(app, make):
    resources = load_resources(make.user("facilitator"))
    db.session.commit()
    assert len(resources) == len(RESOURCES) == 12 == resource_count()
    assert all(r.url.startswith("https://") and r.topics for r in resources)
    assert {r.publisher for r in resources} >= {"nes", "nttp", "scottish_government"}
