"""Self-assessment through the API: frameworks, rounds, ratings, who may do what, 422s (issue 16)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.journey.framework_data import DEFAULT_FRAMEWORK
from facilitator.models import AssessmentChange, AssessmentRating
from tests.support.factories import ApiClient, Factory

ASSESSMENT_KEYS = {"id", "home_id", "framework_id", "round", "started_on", "completed_on", "source",
                   "ratings"}


@pytest.fixture
def setting(make: Factory):
    facilitator = make.user("facilitator")
    home, other = make.home(), make.home()
    make.group(facilitators=[facilitator], homes=[home])
    return facilitator, home, other


def test_frameworks_list_the_default_with_its_scale_and_domains(api: ApiClient):
    api.as_user("lead")
    body = api.get("/api/v1/frameworks").get_json()
    framework = next(f for f in body["frameworks"] if f["version"] == DEFAULT_FRAMEWORK.version)
    assert [d["key"] for d in framework["domains"]] == list(DEFAULT_FRAMEWORK.domain_keys())
    assert framework["scale"][0] == {"value": 1, "label": "Not yet started"}
    assert framework["domains"][0]["prompts"] and framework["domains"][0]["key_question"]


def test_a_facilitator_starts_rates_and_completes_a_round(api: ApiClient, setting):
    facilitator, home, _ = setting
    api.as_user(facilitator)
    created = api.post(f"/api/v1/homes/{home.id}/assessments", {"started_on": "2026-03-02"})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert set(body) == ASSESSMENT_KEYS and body["round"] == 1 and body["source"] == "online"
    patched = api.patch(f"/api/v1/assessments/{body['id']}", {
        "ratings": {"governance": {"rating": 2, "evidence": "Named lead since May"}, "policy": {"rating": 3}},
        "source": "paper", "completed_on": "2026-03-09"})
    assert patched.status_code == 200, patched.get_json()
    out = patched.get_json()
    assert out["ratings"]["governance"] == {"rating": 2, "evidence": "Named lead since May"}
    assert out["source"] == "paper" and out["completed_on"] == "2026-03-09"
    kinds = db.session.scalars(select(AssessmentChange.kind).where(
        AssessmentChange.assessment_id == body["id"]).order_by(AssessmentChange.id)).all()
    assert kinds == ["started", "source", "rating", "rating", "completed"]
    row = db.session.scalar(select(AssessmentRating).where(AssessmentRating.domain_key == "governance",
                                                            AssessmentRating.assessment_id == body["id"]))
    assert row.changed_by_user_id == facilitator.id and row.source == "paper"
    listed = api.get(f"/api/v1/homes/{home.id}/assessments").get_json()["assessments"]
    assert [a["id"] for a in listed] == [body["id"]]
    again = api.post(f"/api/v1/homes/{home.id}/assessments", {}).get_json()
    assert again["round"] == 2


def test_every_bad_field_is_named_at_once_and_nothing_changes(api: ApiClient, setting):
    facilitator, home, _ = setting
    api.as_user(facilitator)
    round_id = api.post(f"/api/v1/homes/{home.id}/assessments", {"started_on": "2026-03-02"}).get_json()["id"]
    response = api.patch(f"/api/v1/assessments/{round_id}", {
        "ratings": {"governance": {"rating": 5}, "astrology": {"rating": 2}, "policy": {"rating": 0}},
        "completed_on": "2101-01-01"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"ratings.governance.rating", "ratings.astrology", "ratings.policy.rating",
                           "completed_on"}
    assert api.get(f"/api/v1/assessments/{round_id}").get_json()["ratings"] == {}
    bad_source = api.patch(f"/api/v1/assessments/{round_id}", {"source": "telepathy"})
    assert bad_source.status_code == 422 and "source" in bad_source.get_json()["error"]["fields"]
    early = api.post(f"/api/v1/homes/{home.id}/assessments", {"started_on": "1999-12-31"})
    assert early.status_code == 422 and "started_on" in early.get_json()["error"]["fields"]
    framework = api.post(f"/api/v1/homes/{home.id}/assessments", {"framework_id": 99999})
    assert framework.status_code == 422 and "framework_id" in framework.get_json()["error"]["fields"]


def test_an_open_round_refuses_a_second(api: ApiClient, setting):
    facilitator, home, _ = setting
    api.as_user(facilitator)
    assert api.post(f"/api/v1/homes/{home.id}/assessments", {}).status_code == 201
    assert api.post(f"/api/v1/homes/{home.id}/assessments", {}).status_code == 409


@pytest.mark.parametrize(("role", "read", "write"), [
    ("admin", 200, 201), ("lead", 200, 403), ("facilitator", 404, 404), ("supervisor", 403, 403)])
def test_who_reads_and_writes_a_homes_rounds(api: ApiClient, setting, role, read, write):
    """Admins write every home; leads read every home; a facilitator of another group's home
    finds nothing; supervisors nothing at all."""
    _, home, _ = setting
    api.as_user(role)
    assert api.get(f"/api/v1/homes/{home.id}/assessments").status_code == read
    assert api.post(f"/api/v1/homes/{home.id}/assessments", {}).status_code == write


def test_a_facilitator_keeps_a_home_that_left_their_group(api: ApiClient, make: Factory):
    from facilitator.admin import services

    facilitator = make.user("facilitator")
    home = make.home()
    group = make.group(facilitators=[facilitator], homes=[home], joined_on=date(2026, 1, 5))
    membership = group.memberships[0]
    services.end_membership(group, membership.home_id, date(2026, 2, 1))
    db.session.commit()
    api.as_user(facilitator)
    assert api.post(f"/api/v1/homes/{home.id}/assessments", {}).status_code == 201


def test_an_admin_publishes_a_new_version_and_old_rounds_keep_theirs(api: ApiClient, runner, setting,
                                                                     tmp_path):
    import json

    facilitator, home, _ = setting
    api.as_user(facilitator)
    old = api.post(f"/api/v1/homes/{home.id}/assessments", {}).get_json()
    api.patch(f"/api/v1/assessments/{old['id']}", {"completed_on": date.today().isoformat()})
    spec = tmp_path / "roadmap.json"
    spec.write_text(json.dumps({"name": "NTTP Roadmap", "version": "2027.1", "domains": [
        {"key": "leadership", "title": "Leadership", "prompts": ["Who leads it?"]}]}))
    published = runner.invoke(args=["frameworks", "publish", str(spec)])
    assert published.exit_code == 0, published.output
    again = runner.invoke(args=["frameworks", "publish", str(spec)])
    assert again.exit_code != 0, "a version is published once"
    assert "2027.1" in runner.invoke(args=["frameworks", "list"]).output
    new = api.post(f"/api/v1/homes/{home.id}/assessments", {}).get_json()
    assert new["framework_id"] != old["framework_id"]
    assert api.get(f"/api/v1/assessments/{old['id']}").get_json()["framework_id"] == old["framework_id"]
    refused = api.patch(f"/api/v1/assessments/{new['id']}", {"ratings": {"governance": {"rating": 2}}})
    assert refused.status_code == 422 and "ratings.governance" in refused.get_json()["error"]["fields"]
    assert api.patch(f"/api/v1/assessments/{new['id']}",
                     {"ratings": {"leadership": {"rating": 2}}}).status_code == 200
