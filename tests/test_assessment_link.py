"""A contact fills in the home's round through their link; no link reaches another home (issue 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token, mint_join_token
from facilitator.journey import assessments as rounds
from facilitator.models import Assessment, AssessmentChange, CareHome, LinkKind
from tests.support.factories import Factory, csrf_token
from tests.support.invites import add_session


@pytest.fixture
def homes(make: Factory):
    a, b = make.home("Ashgrove House"), make.home("Birchwood Lodge")
    make.group(homes=[a, b], joined_on=date(2026, 1, 5))
    tokens = {home.name: mint_contact_token(home.contacts[0]) for home in (a, b)}
    db.session.commit()
    return a, b, tokens


def _post(client, url: str, data: dict | None = None, page: str | None = None):
    """POST as the page's form does, with the CSRF token from ``page`` (the overview by default)."""
    html = client.get(page or url.rsplit("/assessment", 1)[0] + "/assessment").get_data(as_text=True)
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(html)})


def _round(home: CareHome) -> Assessment | None:
    return db.session.scalar(select(Assessment).where(Assessment.home_id == home.id))


def test_a_contact_starts_rates_domain_by_domain_and_finishes(client, homes):
    a, _, tokens = homes
    link = f"/h/{tokens[a.name]}/assessment"
    page = client.get(link)
    assert page.status_code == 200 and "Start round 1" in page.get_data(as_text=True)
    assert _round(a) is None, "a GET only shows"
    started = _post(client, f"{link}/start")
    assert started.status_code == 303 and started.headers["Location"].endswith("/assessment/1")
    first = client.get(f"{link}/1").get_data(as_text=True)
    assert "Governance, management and leadership" in first and "area 1 of 10" in first
    saved = _post(client, f"{link}/1", {"rating": "2", "evidence": "A named lead", "go": "next"})
    assert saved.headers["Location"].endswith("/assessment/2")
    back = _post(client, f"{link}/2", {"rating": "3", "go": "back"})
    assert back.headers["Location"].endswith("/assessment/1")
    again = client.get(f"{link}/1").get_data(as_text=True)
    assert 'value="2" checked' in again and "A named lead" in again
    assert _post(client, f"{link}/finish").status_code == 303
    assessment = _round(a)
    assert assessment.completed_on is not None and assessment.source == "online"
    assert {r.domain_key: r.rating for r in assessment.ratings} == {"governance": 2, "policy": 3}
    contact = a.contacts[0]
    assert [p.contact_id for p in assessment.participants] == [contact.id]
    who = db.session.scalars(select(AssessmentChange.contact_id).where(
        AssessmentChange.assessment_id == assessment.id)).all()
    assert set(who) == {contact.id}
    done = client.get(link).get_data(as_text=True)
    assert "Next round due" in done and "Start round 2" not in done
    assert client.get(f"{link}/1").status_code == 404, "a finished round is not edited through the link"


def test_staff_see_who_took_part_and_each_change_through_the_link(client, auth, make: Factory, homes):
    a, _, tokens = homes
    link = f"/h/{tokens[a.name]}/assessment"
    _post(client, f"{link}/start")
    _post(client, f"{link}/1", {"rating": "2", "go": "next"})
    auth.login("admin")
    html = client.get(f"/homes/{a.id}/assessments").get_data(as_text=True)
    name = a.contacts[0].name
    assert f"<td>{name}</td>" in html, "took part"
    assert f"{name} (their link)" in html and "Round started" in html


def test_a_rating_outside_the_scale_is_shown_beside_the_choices(client, homes):
    a, _, tokens = homes
    link = f"/h/{tokens[a.name]}/assessment"
    _post(client, f"{link}/start")
    response = _post(client, f"{link}/1", {"rating": "7", "go": "next"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a rating from 1 to 4." in html and 'href="#rating-1"' in html
    assert _round(a).ratings == []


def test_a_contact_of_home_a_cannot_reach_home_b_through_any_link(app, client, homes, make):
    a, b, tokens = homes
    rounds.start_round(b, rounds.Actor())
    db.session.commit()
    b_round = _round(b)
    a_link = f"/h/{tokens[a.name]}/assessment"
    # A's page link only ever shows A's own round: no round id is taken from the URL.
    _post(client, f"{a_link}/start")
    _post(client, f"{a_link}/1", {"rating": "4", "go": "next"})
    db.session.expire_all()
    assert db.session.get(Assessment, b_round.id).ratings == []
    assert client.get(a_link).get_data(as_text=True).count("Birchwood") == 0
    # A's other links (the feed link, a join link) open no assessment page at all.
    feed = mint_contact_token(a.contacts[0], LinkKind.FEED)
    group = make.group(homes=[a])
    session = add_session(group, starts_at=datetime.now(UTC) + timedelta(days=7))
    join = mint_join_token(session, a.contacts[0])
    db.session.commit()
    for token in (feed, join):
        for method, path in (("GET", "/assessment"), ("POST", "/assessment/start"), ("GET", "/assessment/1"),
                             ("POST", "/assessment/1"), ("POST", "/assessment/finish")):
            form = {"csrf_token": csrf_token(client.get(a_link).get_data(as_text=True)), "rating": "1"}
            answer = client.open(f"/h/{token}{path}", method=method, data=form if method == "POST" else None)
            assert answer.status_code == 404, (path, method)
    # Without a session the API refuses a contact outright.
    assert client.get(f"/api/v1/assessments/{b_round.id}").status_code == 401
    assert client.patch(f"/api/v1/assessments/{b_round.id}", json={}).status_code == 401
