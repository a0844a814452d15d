"""A facilitator sees the sessions of their own groups only; leads and admins see every group's."""

from __future__ import annotations

from typing import Any

import pytest

from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from tests.support.attendance import MEETING_ID, session_for
from tests.support.factories import Auth


@pytest.fixture
def world(make):
    own, other = make.user("facilitator"), make.user("facilitator")
    mine = make.group("Fife PSL", facilitators=[own], homes=[make.home()])
    theirs = make.group("Glasgow PSL", facilitators=[other], homes=[make.home()])
    return {"own": own, "mine": session_for(mine, meeting_id=MEETING_ID),
            "theirs": session_for(theirs, meeting_id="9" + MEETING_ID[1:]), "theirs_group": theirs}


def api(app, user, url: str) -> Any:
    token = issue_api_token(user)
    db.session.commit()
    return app.test_client().get(url, headers={"Authorization": f"Bearer {token}"})


def pages(session_id: int) -> list[str]:
    return [f"/sessions/{session_id}", f"/sessions/{session_id}/calendar.ics",
            f"/sessions/{session_id}/invitations"]


def test_another_groups_session_is_not_found_for_a_facilitator(app, make, world):
    theirs, mine = world["theirs"], world["mine"]
    assert api(app, world["own"], f"/api/v1/sessions/{theirs.id}").status_code == 404
    assert api(app, world["own"], f"/api/v1/sessions/{mine.id}").json["id"] == mine.id
    listed = api(app, world["own"], f"/api/v1/sessions?group_id={world['theirs_group'].id}")
    assert listed.status_code == 200 and listed.json["sessions"] == []
    everything = api(app, world["own"], "/api/v1/sessions").json["sessions"]
    assert [s["id"] for s in everything] == [mine.id]
    client = app.test_client()
    Auth(client, make).login(world["own"])
    for url in pages(theirs.id):
        response = client.get(url)
        assert response.status_code == 404, url
        assert theirs.join_url not in response.get_data(as_text=True)
    for url in pages(mine.id):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["lead", "admin"])
def test_leads_and_admins_see_every_groups_sessions(app, make, world, role):
    user = make.user(role)
    ids = {s["id"] for s in api(app, user, "/api/v1/sessions").json["sessions"]}
    assert ids == {world["mine"].id, world["theirs"].id}
    assert api(app, user, f"/api/v1/sessions/{world['theirs'].id}").status_code == 200
    client = app.test_client()
    Auth(client, make).login(user)
    for url in pages(world["theirs"].id):
        assert client.get(url).status_code == 200, url
