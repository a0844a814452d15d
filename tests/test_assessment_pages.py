"""Rounds compared (a table of cases), a paper round typed in, and the progress grids (issue 16)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, select

from facilitator.extensions import db
from facilitator.journey import assessments as rounds
from facilitator.journey.progress import compare
from facilitator.models import Assessment, AssessmentChange, CareHome
from tests.support.factories import Auth, Factory

KEYS = ["governance", "policy"]


@pytest.mark.parametrize(("given", "expected"), [
    # (rounds as (number, ratings)) → per key (first, first round, latest, latest round, change, arrow, words)
    ([], {"governance": (None, None, None, None, None, "", "not rated yet")}),
    ([(1, {"governance": 2})], {"governance": (2, 1, 2, 1, None, "", "first rating")}),
    ([(1, {"governance": 1}), (2, {"governance": 3})],
     {"governance": (1, 1, 3, 2, 2, "↑", "up from 1 in round 1")}),
    ([(1, {"governance": 4}), (2, {"governance": 2})],
     {"governance": (4, 1, 2, 2, -2, "↓", "down from 4 in round 1")}),
    ([(1, {"policy": 3}), (3, {"policy": 3})], {"policy": (3, 1, 3, 3, 0, "→", "no change from round 1")}),
    # first vs latest, not the one before: round 2 went down, round 3 back up past round 1
    ([(1, {"governance": 2}), (2, {"governance": 1}), (3, {"governance": 3})],
     {"governance": (2, 1, 3, 3, 1, "↑", "up from 2 in round 1")}),
    # a domain skipped in round 1 counts from the first round that rated it
    ([(1, {"policy": 2}), (2, {"governance": 2, "policy": 4})],
     {"governance": (2, 2, 2, 2, None, "", "first rating"),
      "policy": (2, 1, 4, 2, 2, "↑", "up from 2 in round 1")}),
    # a newest round still open, not yet rating a domain, leaves that domain's latest where it was
    ([(1, {"governance": 1}), (2, {"governance": 2}), (3, {"governance": None})],
     {"governance": (1, 1, 2, 2, 1, "↑", "up from 1 in round 1")}),
    # rounds given out of order are put in order
    ([(2, {"governance": 4}), (1, {"governance": 1})],
     {"governance": (1, 1, 4, 2, 3, "↑", "up from 1 in round 1")}),
])
def test_rounds_are_compared_first_against_latest(given, expected):
    found = {p.key: (p.first, p.first_round, p.latest, p.latest_round, p.change, p.arrow, p.words)
             for p in compare(KEYS, given)}
    for key, want in expected.items():
        assert found[key] == want, key


@pytest.fixture
def facilitated(make: Factory, auth: Auth):
    facilitator = make.user("facilitator")
    home = make.home("Cedar Court")
    group = make.group(facilitators=[facilitator], homes=[home], joined_on=date(2026, 1, 5))
    auth.login(facilitator)
    return facilitator, home, group


def test_a_facilitator_types_in_a_paper_round(client, auth: Auth, facilitated):
    facilitator, home, _ = facilitated
    page = f"/homes/{home.id}/assessments"
    assert "Type in a paper round" in client.get(page).get_data(as_text=True)
    started = auth.post(page, {})
    assert started.status_code == 302
    form_url = started.headers["Location"]
    data = {"source": "paper", "started_on": "2026-02-03", "completed_on": "2026-02-10",
            "rating_governance": "1",
            "evidence_governance": "No named lead yet", "rating_policy": "3"}
    saved = auth.post(form_url, data)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assessment = db.session.scalar(select(Assessment).where(Assessment.home_id == home.id))
    assert assessment.source == "paper" and assessment.completed_on == date(2026, 2, 10)
    assert {r.domain_key: (r.rating, r.source) for r in assessment.ratings} == {
        "governance": (1, "paper"), "policy": (3, "paper")}, "the domains left blank have no rating row"
    users = set(db.session.scalars(select(AssessmentChange.user_id).where(
        AssessmentChange.assessment_id == assessment.id)))
    assert users == {facilitator.id}
    html = client.get(page).get_data(as_text=True)
    assert f"/homes/{home.id}/actions/new?domain_key=governance" in html, "a gap (1–2) can become an action"
    assert "domain_key=policy" not in html
    assert "Next round due: <strong>3 August 2026" in html, "six months after it started"
    assert "Governance, management and leadership: 1 — “No named lead yet”" in html
    assert f"<td>{facilitator.name}</td>" in html, "the history names who typed it in"


def test_the_paper_form_names_every_problem_at_once(client, auth: Auth, facilitated):
    _, home, _ = facilitated
    started = auth.post(f"/homes/{home.id}/assessments", {})
    response = auth.post(started.headers["Location"], {"source": "paper", "started_on": "2026-01-01",
                                                       "completed_on": "1999-01-01",
                                                       "rating_governance": "9"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose a rating from 1 to 4." in html and "Choose a date between 2000 and 2100." in html
    assert 'href="#rating_governance-0"' in html


def test_a_lead_reads_but_another_groups_facilitator_finds_nothing(client, auth: Auth, facilitated):
    _, home, group = facilitated
    auth.logout()
    auth.login("facilitator")
    assert client.get(f"/homes/{home.id}/assessments").status_code == 404
    assert client.get(f"/groups/{group.id}/progress").status_code == 404
    auth.logout()
    auth.login("lead")
    page = client.get(f"/homes/{home.id}/assessments").get_data(as_text=True)
    assert "Type in a paper round" not in page


@contextmanager
def _statements():
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _homes_with_rounds(make: Factory, n: int) -> list[CareHome]:
    homes = [make.home(contacts=1) for _ in range(n)]
    for i, home in enumerate(homes):
        for number, rating in ((1, 1 + i % 2), (2, 2 + i % 3)):
            a = rounds.start_round(home, rounds.Actor(), started_on=date(2026, number, 1))
            rounds.change_round(a, rounds.RoundChanges(
                ratings={"governance": rounds.RatingInput(rating)}, set_completed=True,
                completed_on=date(2026, number, 2)), rounds.Actor())
    db.session.commit()
    return homes


def test_the_lead_grid_sends_as_many_statements_for_many_homes_as_for_few(client, auth: Auth, make: Factory):
    auth.login("lead")
    _homes_with_rounds(make, 2)
    with _statements() as few:
        first = client.get("/progress")
    _homes_with_rounds(make, 10)
    with _statements() as many:
        second = client.get("/progress")
    assert first.status_code == second.status_code == 200
    assert len(many) == len(few), "\n".join(many)
    html = second.get_data(as_text=True)
    assert "↑" in html and "up from 1 in round 1" in html


def test_a_group_grid_shows_its_current_homes_with_words_for_the_arrows(client, auth: Auth, facilitated):
    _, home, group = facilitated
    for number, rating in ((1, 3), (2, 2)):
        a = rounds.start_round(home, rounds.Actor(), started_on=date(2026, number, 1))
        rounds.change_round(a, rounds.RoundChanges(ratings={"policy": rounds.RatingInput(rating)},
                                                   set_completed=True, completed_on=date(2026, number, 3)),
                            rounds.Actor())
    db.session.commit()
    html = client.get(f"/groups/{group.id}/progress").get_data(as_text=True)
    assert "Cedar Court" in html and "↓" in html and "down from 3 in round 1" in html
