"""Issue 16's paper: the tailored assessment pack, a completed round and the action plan as real
PDFs, read back with pdftotext; who may download them, here and through a home's link."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from facilitator.admin import services as admin_services
from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token, revoke_contact_links
from facilitator.journey.framework_data import SCALE, TOOLKIT_2021
from facilitator.models import (
    Assessment,
    AssessmentParticipant,
    AssessmentRating,
    Framework,
    HomeAction,
)
from tests.support.pdf import pdf_pages, pdf_text, squeezed

TITLES = [d.title for d in TOOLKIT_2021.domains]
FIRST = {"governance": 1, "policy": 2, "workforce": 2, "environment": 3}
SECOND = {"governance": 2, "policy": 2, "workforce": 3, "environment": 4, "finance": 1, "evaluation": 2}
LABELS = dict(SCALE)


def _framework() -> Framework:
    return db.session.scalar(select(Framework).where(Framework.version == TOOLKIT_2021.version))


def _round(home, number: int, ratings: dict[str, int], completed: date | None, source: str = "online",
           participants=()) -> Assessment:
    started = completed - timedelta(days=14) if completed else date(2026, 6, 1)
    round_ = Assessment(home_id=home.id, framework_id=_framework().id, round=number, started_on=started,
                        completed_on=completed, source=source)
    round_.ratings = [AssessmentRating(domain_key=key, rating=value, source=source,
                                       evidence=f"Evidence {key} round {number}")
                      for key, value in ratings.items()]
    round_.participants = [AssessmentParticipant(contact_id=c.id) for c in participants]
    db.session.add(round_)
    db.session.commit()
    return round_


def _action(home, title: str, **fields) -> HomeAction:
    action = HomeAction(home_id=home.id, title=title, **fields)
    db.session.add(action)
    db.session.commit()
    return action


@pytest.fixture
def world(make):
    facilitator = make.user("facilitator")
    home = make.home("Ardenlea House", contacts=3)
    other = make.home("Braeside Lodge")
    make.group(facilitators=[facilitator], homes=[home])
    return facilitator, home, other


def _pdf(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.content_type == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    return pdf_pages(response.data)


def test_the_pack_is_tailored_to_the_home_with_its_previous_ratings_on_every_domain(client, auth, world):
    facilitator, home, _ = world
    _round(home, 1, FIRST, date(2026, 1, 20))
    _round(home, 2, SECOND, date(2026, 7, 20))
    _round(home, 3, {"governance": 4}, None)  # in progress: not the "previous" round
    auth.login(facilitator)
    response = client.get(f"/homes/{home.id}/assessment-pack.pdf")
    pages = _pdf(response)
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="ardenlea-house-assessment-pack.pdf"'
    assert len(pages) > 2
    for number, page in enumerate(pages, 1):
        assert "Ardenlea House" in page, f"page {number} does not name the home"
        assert f"Page {number} of {len(pages)}" in squeezed(page)
    text = squeezed("\n".join(pages))
    for title in TITLES:
        assert title in text, title
    for contact in home.contacts:
        assert contact.name in text and contact.email in text
    assert "Round 2, completed 20 July 2026" in text
    sections = re.split(r"\b\d+\. (?=" + "|".join(re.escape(t) for t in TITLES) + ")", text)
    by_title = {t: next(s for s in sections if s.startswith(t)) for t in TITLES}
    for domain in TOOLKIT_2021.domains:
        section = by_title[domain.title]
        if domain.key in SECOND:
            value = SECOND[domain.key]
            assert f"Previous round (round 2): {value} – {LABELS[value]}" in section, domain.key
            assert f"Evidence then: Evidence {domain.key} round 2" in section
        else:
            assert "Previous round (round 2): not rated" in section, domain.key
        assert "round 4" not in section.lower()
    assert "Braeside" not in text


def test_a_first_pack_says_there_is_no_earlier_round(client, auth, world):
    facilitator, home, _ = world
    auth.login(facilitator)
    text = squeezed("\n".join(_pdf(client.get(f"/homes/{home.id}/assessment-pack.pdf"))))
    assert "None yet: this is the home's first round" in text
    assert text.count("Previous round: none yet") == len(TITLES)


def test_a_completed_round_prints_its_ratings_evidence_and_change(client, auth, world):
    facilitator, home, _ = world
    _round(home, 1, FIRST, date(2026, 1, 20))
    second = _round(home, 2, SECOND, date(2026, 7, 20), source="paper", participants=home.contacts[:2])
    auth.login(facilitator)
    response = client.get(f"/assessments/{second.id}.pdf")
    pages = _pdf(response)
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="ardenlea-house-assessment-round-2.pdf"'
    assert all("Ardenlea House" in page for page in pages)
    text = squeezed("\n".join(pages))
    for title in TITLES:
        assert title in text, title
    assert "On paper, typed in by the facilitator" in text
    assert ", ".join(sorted(c.name for c in home.contacts[:2])) in text
    assert "Compared with Round 1, completed 20 January 2026" in text
    assert "Evidence workforce round 2" in text
    rows = {line.split("  ")[0].strip(): line for page in pages for line in page.splitlines()}
    assert re.search(r"3 – Developing +2 – Getting +Up 1$", rows["4. Workforce development and support"])
    assert re.search(r"2 – Getting +2 – Getting +Same$", rows["2. Policy"])
    assert re.search(r"1 – Not yet +Not rated +–$", rows["8. Finance"])


def test_the_action_plan_lists_owners_due_dates_and_what_is_overdue(client, auth, world, app):
    facilitator, home, other = world
    today = date.today()
    manager = home.contacts[0]
    _action(home, "Name a trauma-informed champion", domain_key="governance", owner_contact_id=manager.id,
            due_on=today - timedelta(days=30), status="in_progress", protected_hours=2.5)
    _action(home, "Walk round the building with two residents", domain_key="environment",
            owner_role="team_leader", due_on=today + timedelta(days=40))
    _action(home, "Book the informed-level training", status="done", done_on=today - timedelta(days=3),
            owner_role="manager")
    _action(other, "Not for Ardenlea")
    auth.login(facilitator)
    response = client.get(f"/homes/{home.id}/action-plan.pdf")
    pages = _pdf(response)
    assert response.headers["Content-Disposition"] == 'attachment; filename="ardenlea-house-action-plan.pdf"'
    assert all("Ardenlea House" in page for page in pages)
    text = squeezed(pdf_text(response.data, layout=False))
    assert "Open actions (2, 1 overdue)" in text
    assert manager.name in text and "The team leader" in text and "The manager" in text
    assert "OVERDUE" in text and text.count("OVERDUE") == 1
    assert "Governance, management and leadership" in text
    for due in (today - timedelta(days=30), today + timedelta(days=40)):
        assert due.strftime("%-d %B %Y") in text
    assert "Done or dropped (1)" in text and "Book the informed-level training" in text
    assert "Protected time: 2.5 hours" in text
    assert "Not for Ardenlea" not in text
    assert text.index("Name a trauma-informed champion") < text.index("Walk round the building")


PATHS = ["/homes/{home}/assessment-pack.pdf", "/homes/{home}/action-plan.pdf", "/assessments/{round}.pdf"]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("who", "status"), [
    ("admin", 200), ("lead", 200), ("facilitator", 200), ("former", 200), ("stranger", 404),
    ("supervisor", 403), ("anonymous", 302),
])
def test_who_may_download(client, auth, make, world, path, who, status):
    facilitator, home, _ = world
    round_ = _round(home, 1, FIRST, date(2026, 1, 20))
    if who == "former":  # facilitated a group the home has since left
        user = make.user("facilitator")
        group = make.group(facilitators=[user], homes=[home], joined_on=date(2025, 1, 6))
        admin_services.end_membership(group, home.id, date(2025, 12, 1))
        db.session.commit()
        auth.login(user)
    elif who == "facilitator":
        auth.login(facilitator)
    elif who == "stranger":  # facilitates another group only
        user = make.user("facilitator")
        make.group(facilitators=[user], homes=[make.home()])
        auth.login(user)
    elif who != "anonymous":
        auth.login(who)
    response = client.get(path.format(home=home.id, round=round_.id))
    assert response.status_code == status
    if status == 302:
        assert response.headers["Location"].startswith("/login")


def test_a_missing_home_or_round_is_not_found(client, auth):
    auth.login("admin")
    for path in ("/homes/999999/assessment-pack.pdf", "/homes/999999/action-plan.pdf",
                 "/assessments/999999.pdf"):
        assert client.get(path).status_code == 404, path


def test_the_home_downloads_its_own_papers_through_its_link(client, world):
    _, home, other = world
    _round(home, 1, FIRST, date(2026, 1, 20))
    mine = _round(home, 2, SECOND, date(2026, 7, 20))
    theirs = _round(other, 1, {"governance": 4}, date(2026, 2, 1))
    _action(home, "Ours to do", owner_role="manager")
    _action(other, "Theirs to do")
    token = mint_contact_token(home.contacts[0])
    db.session.commit()
    pack = squeezed("\n".join(_pdf(client.get(f"/h/{token}/assessment-pack.pdf"))))
    assert "Ardenlea House" in pack and "Previous round (round 2): 2 – Getting started" in pack
    plan = squeezed("\n".join(_pdf(client.get(f"/h/{token}/action-plan.pdf"))))
    assert "Ours to do" in plan and "Theirs to do" not in plan and "Braeside" not in plan
    response = client.get(f"/h/{token}/assessments/{mine.id}.pdf")
    assert "Self-assessment, round 2" in squeezed("\n".join(_pdf(response)))
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert client.get(f"/h/{token}/assessments/{theirs.id}.pdf").status_code == 404


def test_a_contact_of_one_home_never_gets_another_homes_papers(client, world):
    _, home, other = world
    theirs = _round(other, 1, {"governance": 4}, date(2026, 2, 1))
    token = mint_contact_token(home.contacts[0])
    other_token = mint_contact_token(other.contacts[0])
    db.session.commit()
    assert client.get(f"/h/{token}/assessments/{theirs.id}.pdf").status_code == 404
    assert "Braeside" not in squeezed("\n".join(_pdf(client.get(f"/h/{token}/assessment-pack.pdf"))))
    assert "Braeside Lodge" in squeezed("\n".join(_pdf(client.get(f"/h/{other_token}/action-plan.pdf"))))
    revoke_contact_links(other.contacts[0])
    db.session.commit()
    for path in ("assessment-pack.pdf", "action-plan.pdf", f"assessments/{theirs.id}.pdf"):
        assert client.get(f"/h/{other_token}/{path}").status_code == 404, path
        assert client.get(f"/h/not-a-token-{'x' * 40}/{path}").status_code == 404, path


def test_the_pages_link_to_the_papers(client, auth, make, world):
    facilitator, home, _ = world
    token = mint_contact_token(home.contacts[0])
    db.session.commit()
    page = client.get(f"/h/{token}").get_data(as_text=True)
    assert f'href="/h/{token}/assessment-pack.pdf"' in page and f'href="/h/{token}/action-plan.pdf"' in page
    auth.login(facilitator)
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert f'href="/homes/{home.id}/assessment-pack.pdf"' in page
    assert f'href="/homes/{home.id}/action-plan.pdf"' in page
    auth.logout()
    auth.login(make.user("facilitator"))  # of no group of this home: no links to a 404
    page = client.get(f"/homes/{home.id}").get_data(as_text=True)
    assert "assessment-pack.pdf" not in page
