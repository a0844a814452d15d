"""Issue 14, item 18: deactivating a group's only facilitator warns and offers to hand the group
over; a deactivated facilitator is not offered in the group form (but one a group still has is
shown, marked, so saving the form keeps them). HTML and API, against the committed database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import Group, User
from tests.support.factories import ApiClient, Auth, Factory

SHONA_FORM = {"role": "facilitator", "supervisor_id": "", "phone": ""}


def committed_group(group_id: int) -> Group:
    db.session.rollback()
    return db.session.scalars(select(Group).where(Group.id == group_id)).one()


def is_active(user_id: int) -> bool:
    db.session.rollback()
    return db.session.get(User, user_id).is_active


def select_of(html: str, name: str) -> str:
    found = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S)
    assert found, f"no select {name}"
    return found[0]


def deactivate(auth: Auth, user: User, **extra: Any) -> Any:
    """The user form posted with "Active" cleared, plus whatever the handover page adds."""
    return auth.post(f"/users/{user.id}", {"name": user.name, "email": user.email, **SHONA_FORM, **extra})


@pytest.fixture
def world(auth: Auth, make: Factory) -> dict[str, Any]:
    admin = auth.login("admin")
    ailsa = make.user("facilitator", name="Ailsa Fraser")
    callum = make.user("facilitator", name="Callum Reid")
    home = make.home()
    alone = make.group("West PSL", facilitators=[ailsa], homes=[home])
    shared = make.group("East PSL", facilitators=[ailsa, callum], homes=[home])
    finished = make.group("Old PSL", facilitators=[ailsa])  # no homes, no sessions: not running
    return {"admin": admin, "ailsa": ailsa, "callum": callum, "alone": alone, "shared": shared,
            "finished": finished}


def test_deactivating_the_only_facilitator_shows_the_groups_and_changes_nothing(auth, world):
    response = deactivate(auth, world["ailsa"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "only active facilitator of 1 group" in html
    assert f'name="handover_{world["alone"].id}"' in html
    assert "East PSL" not in html and "Old PSL" not in html  # another facilitator / not running
    options = select_of(html, f"handover_{world['alone'].id}")
    assert "Callum Reid" in options and "Ailsa Fraser" not in options
    assert is_active(world["ailsa"].id)


def test_handing_the_group_over_deactivates_and_the_successor_takes_their_place(auth, world):
    alone = world["alone"]
    response = deactivate(auth, world["ailsa"], handover_shown="1",
                          **{f"handover_{alone.id}": world["callum"].id})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    assert not is_active(world["ailsa"].id)
    assert [u.name for u in committed_group(alone.id).facilitators] == ["Callum Reid"]
    # A group with another facilitator keeps the leaver listed, deactivated.
    shared = committed_group(world["shared"].id)
    assert [u.name for u in shared.facilitators] == ["Ailsa Fraser", "Callum Reid"]


def test_without_a_successor_or_the_confirmation_it_is_refused_beside_the_group(auth, world):
    alone = world["alone"]
    response = deactivate(auth, world["ailsa"], handover_shown="1")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert re.search(rf'id="handover_{alone.id}-error">Choose who takes this group over', html)
    assert is_active(world["ailsa"].id)


def test_deactivating_anyway_needs_the_tick_and_leaves_the_group_without_one(auth, world):
    alone = world["alone"]
    assert deactivate(auth, world["ailsa"], handover_shown="1", force="y").status_code == 302
    assert not is_active(world["ailsa"].id)
    assert [u.name for u in committed_group(alone.id).facilitators] == ["Ailsa Fraser"]


def test_a_successor_who_cannot_facilitate_is_refused(auth, world, make):
    lead = make.user("lead")
    alone = world["alone"]
    response = deactivate(auth, world["ailsa"], handover_shown="1", **{f"handover_{alone.id}": lead.id})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="handover_{alone.id}-error">Choose another active facilitator' in html
    assert is_active(world["ailsa"].id)


def test_giving_the_only_facilitator_another_role_asks_too(auth, world):
    response = auth.post(f"/users/{world['ailsa'].id}", {
        "name": "Ailsa Fraser", "email": world["ailsa"].email, "role": "lead", "supervisor_id": "",
        "is_active": "y"})
    assert response.status_code == 200
    assert "Before Ailsa Fraser stops facilitating" in response.get_data(as_text=True)


def test_the_group_form_offers_no_deactivated_facilitator_but_keeps_one_the_group_has(auth, world, make):
    gone = make.user("facilitator", name="Morag Bell")
    other = make.group("North PSL", facilitators=[gone])
    deactivate(auth, gone)  # North PSL has no homes: no handover asked
    assert not is_active(gone.id)

    fresh = select_of(auth.client.get("/groups/new").get_data(as_text=True), "facilitator_ids")
    assert "Morag Bell" not in fresh and "Callum Reid" in fresh
    page = auth.client.get(f"/groups/{other.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{gone.id}">Morag Bell \(deactivated\)</option>', page)

    kept = auth.post(f"/groups/{other.id}/edit", {"name": "North PSL", "provider": "link",
                                                  "default_duration_minutes": "90",
                                                  "facilitator_ids": [gone.id, world["callum"].id]})
    assert kept.status_code == 302
    assert [u.name for u in committed_group(other.id).facilitators] == ["Callum Reid", "Morag Bell"]
    refused = auth.post(f"/groups/{world['alone'].id}/edit", {
        "name": "West PSL", "provider": "link", "default_duration_minutes": "90",
        "facilitator_ids": [gone.id]})
    assert refused.status_code == 422
    assert "Deactivated, cannot facilitate: Morag Bell" in refused.get_data(as_text=True)


# API --------------------------------------------------------------------------------------------

@pytest.fixture
def admin_api(app, make) -> ApiClient:
    api = ApiClient(app, make)
    api.as_user("admin")
    return api


def test_api_answers_409_naming_the_groups(admin_api, world):
    response = admin_api.patch(f"/api/v1/users/{world['ailsa'].id}", json={"active": False})
    assert response.status_code == 409
    fields = response.get_json()["error"]["fields"]
    assert "West PSL" in fields["handover_to"] and "East PSL" not in fields["handover_to"]
    assert is_active(world["ailsa"].id)


def test_api_hands_every_group_over_to_one_successor(admin_api, world, make):
    second = make.group("South PSL", facilitators=[world["ailsa"]], homes=[make.home()])
    response = admin_api.patch(f"/api/v1/users/{world['ailsa'].id}",
                               json={"active": False, "handover_to": world["callum"].id})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["active"] is False
    for group in (world["alone"], second):
        assert [u.name for u in committed_group(group.id).facilitators] == ["Callum Reid"]


def test_api_force_leaves_the_group_without_a_facilitator(admin_api, world):
    response = admin_api.patch(f"/api/v1/users/{world['ailsa'].id}", json={"active": False, "force": True})
    assert response.status_code == 200
    assert not is_active(world["ailsa"].id)
    assert [u.name for u in committed_group(world["alone"].id).facilitators] == ["Ailsa Fraser"]


@pytest.mark.parametrize("successor", ["ailsa", "lead", "missing"])
def test_api_refuses_a_successor_who_cannot_facilitate(admin_api, world, make, successor):
    ids = {"ailsa": world["ailsa"].id, "lead": make.user("lead").id, "missing": 2**31 - 1}
    response = admin_api.patch(f"/api/v1/users/{world['ailsa'].id}",
                               json={"active": False, "handover_to": ids[successor]})
    assert response.status_code == 422
    assert "handover_to" in response.get_json()["error"]["fields"]
    assert is_active(world["ailsa"].id)


def test_the_groups_list_and_page_mark_a_facilitator_who_was_deactivated(auth, world):
    deactivate(auth, world["ailsa"], handover_shown="1", force="y")
    listing = auth.client.get("/groups").get_data(as_text=True)
    assert "Ailsa Fraser (deactivated), Callum Reid" in listing
    page = auth.client.get(f"/groups/{world['alone'].id}").get_data(as_text=True)
    assert "Ailsa Fraser (deactivated)" in page
