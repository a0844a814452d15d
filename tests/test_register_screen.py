"""The register screen (issue 14): a confirmed join link is present (and can be rated), "Mark all
present" fills in every home without saving, and the group's past sessions link to their registers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from facilitator.extensions import db
from facilitator.models.invites import JoinRecord
from tests.support.attendance import AFTER, START, entries, form_data, group_with_homes, session_for
from tests.support.factories import Auth


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=AFTER)
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make) -> dict[str, Any]:
    facilitator = make.user("facilitator")
    group, homes = group_with_homes(make, "Ardenlea House", "Bellfield Court", "Craigmhor Care Home",
                                    facilitator=facilitator, joined_on=date(2026, 1, 5))
    session = session_for(group)
    client = app.test_client()
    Auth(client, make).login(facilitator)
    return {"facilitator": facilitator, "group": group, "homes": homes, "session": session, "client": client,
            "url": f"/sessions/{session.id}/register"}


def selected_status(html: str, index: int) -> str:
    block = html.split(f'name="rows-{index}-status"', 1)[1].split("</select>", 1)[0]
    chosen = [part for part in block.split("<option")[1:] if "selected" in part]
    return chosen[0].split('value="', 1)[1].split('"', 1)[0] if chosen else ""


def test_a_confirmed_join_link_is_present_and_can_be_rated(app, world):
    home = world["homes"][1]
    db.session.add(JoinRecord(session_id=world["session"].id, home_id=home.id, contact_id=home.contacts[0].id,
                              joined_at=START - timedelta(minutes=2), user_agent_family="Safari on iPad",
                              in_window=True))
    db.session.commit()
    client, url = world["client"], world["url"]
    html = client.get(url).get_data(as_text=True)
    assert "js/register.js" in html  # the tick also shows "Present" at once where scripts run
    response = client.post(url, data=form_data(html, {"rows-1-confirm_join": "y", "rows-1-engagement": "3"}))
    assert response.status_code == 302, response.get_data(as_text=True)
    entry = entries(world["session"])[home.id]
    assert (entry.status, entry.source, entry.engagement) == ("present", "join_link", 3)


def test_a_status_chosen_beside_the_tick_is_kept(app, world):
    home = world["homes"][1]
    db.session.add(JoinRecord(session_id=world["session"].id, home_id=home.id, contact_id=home.contacts[0].id,
                              joined_at=START, user_agent_family="Safari on iPad", in_window=True))
    db.session.commit()
    client, url = world["client"], world["url"]
    html = client.get(url).get_data(as_text=True)
    changes = {"rows-1-confirm_join": "y", "rows-1-status": "left_early", "rows-1-engagement": "2"}
    assert client.post(url, data=form_data(html, changes)).status_code == 302
    assert (entries(world["session"])[home.id].status, entries(world["session"])[home.id].engagement) == (
        "left_early", 2)


def test_mark_all_present_fills_every_home_without_saving_then_the_exceptions_are_saved(app, world):
    client, url = world["client"], world["url"]
    html = client.get(url).get_data(as_text=True)
    assert 'name="mark_all"' in html and "Mark all present" in html
    response = client.post(url, data=form_data(html, {"rows-0-comment": "Typed first", "mark_all": "1"}))
    assert response.status_code == 200
    marked = response.get_data(as_text=True)
    assert [selected_status(marked, i) for i in range(3)] == ["present"] * 3
    assert "nothing is saved yet" in marked and 'value="Typed first"' in marked
    assert entries(world["session"]) == {}
    saved = client.post(url, data=form_data(marked, {"rows-2-status": "absent"}))
    assert saved.status_code == 302
    statuses = {home_id: e.status for home_id, e in entries(world["session"]).items()}
    assert statuses == {world["homes"][0].id: "present", world["homes"][1].id: "present",
                        world["homes"][2].id: "absent"}


def test_mark_all_present_is_only_for_those_who_take_the_register(app, world, make):
    client = app.test_client()
    Auth(client, make).login(make.user("lead"))
    html = client.get(world["url"]).get_data(as_text=True)
    assert "Mark all present" not in html
    assert client.post(world["url"], data=form_data(html, {"mark_all": "1"})).status_code == 403


def test_the_groups_past_sessions_link_to_their_registers(app, world, make):
    old = session_for(world["group"], starts_at=START - timedelta(weeks=2), title="Older session")
    cancelled = session_for(world["group"], starts_at=START - timedelta(weeks=1), status="cancelled")
    admin = make.user("admin")
    client = app.test_client()
    Auth(client, make).login(admin)
    page = client.get(f"/groups/{world['group'].id}").get_data(as_text=True)
    past = page.split("Past sessions", 1)[1]
    assert f'href="/sessions/{old.id}/register"' in past
    assert f'href="/sessions/{world["session"].id}/register"' not in page  # still under "upcoming"
    assert f'href="/sessions/{cancelled.id}/register"' not in past
    assert client.get(f"/sessions/{old.id}/register").status_code == 200
