"""The JSON API under /api/v1: users, homes with contacts, groups with memberships.

Writes are checked against what the database committed; every error is checked for its shape
(``{"error": {"message", "fields"}}``, JSON, never HTML or a traceback) and that nothing changed.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from facilitator.auth.api_tokens import revoke_api_tokens
from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.models import (
    ApiToken,
    CareHome,
    Contact,
    Group,
    Membership,
    OutboxMessage,
    User,
    UserSession,
)
from tests.support.factories import ApiClient, Auth, Factory

USER_KEYS = {"id", "email", "name", "role", "active", "supervisor_id", "phone"}
HOME_KEYS = {"id", "name", "region", "local_authority", "beds", "protected_time_agreed",
             "protected_time_agreed_on",
             "notes", "contacts"}
CONTACT_KEYS = {"id", "name", "email", "role", "active"}
GROUP_KEYS = {"id", "name", "provider", "default_duration_minutes", "facilitator_ids", "members"}
TOO_BIG_ID = 2**63  # no row has it, and the database drivers cannot even take it as a parameter


# Helpers ----------------------------------------------------------------------------------------

def case(value: Any) -> str | None:
    """Readable test ids for body dicts: ``beds=-1``, ``contacts=[{...``."""
    if not isinstance(value, dict):
        return None

    def short(v: Any) -> str:
        text = "2**63" if v == TOO_BIG_ID else (v if isinstance(v, str) else json.dumps(v, default=str))
        return text if len(text) <= 24 else text[:21] + "..."
    return ",".join(f"{k}={short(v)}" for k, v in value.items()) or "empty"


def error(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert a JSON error of ``status`` (naming ``field`` if given) and return its body."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/json"
    assert "<html" not in text.lower() and "Traceback" not in text
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "fields"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert all(isinstance(v, str) and v for v in body["error"]["fields"].values())
    if field is not None:
        assert field in body["error"]["fields"], body
    return body["error"]


def committed(stmt: Any) -> list[Any]:
    """Rows the database has committed (anything the session holds uncommitted is dropped)."""
    db.session.rollback()
    return list(db.session.scalars(stmt))


def counts() -> dict[str, int]:
    db.session.rollback()
    models = (User, CareHome, Contact, Group, Membership)
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


def memberships(group_id: int) -> list[tuple[int, date, date | None]]:
    rows = committed(select(Membership).where(Membership.group_id == group_id)
                     .order_by(Membership.joined_on, Membership.id))
    return [(m.home_id, m.joined_on, m.left_on) for m in rows]


@pytest.fixture
def admin_api(api: ApiClient) -> ApiClient:
    api.as_user("admin")
    return api


def client_as(app: Flask, make: Factory, role_or_user: Any) -> ApiClient:
    other = ApiClient(app, make)
    other.as_user(role_or_user)
    return other


# 401: no, invalid or revoked token ---------------------------------------------------------------

@pytest.mark.parametrize("authorization", [
    None,
    "Bearer fac_this-token-was-never-issued",
    "Bearer ",
    "Basic YWRtaW5AZXhhbXBsZS5vcmc6cGFzc3dvcmQ=",
    "{token}",            # the right token without the scheme
    "Token {token}",      # the right token with the wrong scheme
])
@pytest.mark.parametrize(("method", "url"), [
    ("get", "/api/v1/users"), ("post", "/api/v1/homes"), ("get", "/api/v1/groups"),
    ("patch", "/api/v1/homes/1"),
])
def test_requests_without_a_valid_token_are_401(app, make, authorization, method, url):
    api = client_as(app, make, "admin")
    headers = {} if authorization is None else {"Authorization": authorization.format(token=api.token)}
    before = counts()
    response = getattr(api.client, method)(url, headers=headers, json={"name": "Sneaky"})
    error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert counts() == before


def test_a_revoked_token_is_401(app, make):
    api = ApiClient(app, make)
    user = api.as_user("admin")
    assert api.get("/api/v1/users").status_code == 200
    revoke_api_tokens(user)
    db.session.commit()
    assert committed(select(ApiToken.revoked_at))[0] is not None
    error(api.get("/api/v1/users"), 401)


def test_the_sign_in_cookie_does_not_open_the_api(auth, client):
    auth.login("admin")
    assert client.get("/users").status_code == 200
    error(client.get("/api/v1/users"), 401)


# 403: the wrong role ----------------------------------------------------------------------------

@pytest.fixture
def seeded(make: Factory) -> dict[str, int]:
    facilitator = make.user("facilitator")
    home = make.home()
    group = make.group(facilitators=[facilitator], homes=[home])
    return {"user": facilitator.id, "home": home.id, "group": group.id, "outsider": make.home().id}


@pytest.mark.parametrize(("role", "method", "url", "body"), [
    ("lead", "post", "/api/v1/users", {"email": "x@example.org", "name": "X", "role": "admin"}),
    ("lead", "patch", "/api/v1/users/{user}", {"role": "admin"}),
    ("lead", "post", "/api/v1/homes", {"name": "Lead's home"}),
    ("lead", "patch", "/api/v1/homes/{home}", {"beds": 1}),
    ("lead", "post", "/api/v1/groups", {"name": "Lead's group"}),
    ("lead", "patch", "/api/v1/groups/{group}", {"name": "Renamed"}),
    ("lead", "post", "/api/v1/groups/{group}/members", {"home_id": "{outsider}", "joined_on": "2026-02-01"}),
    ("lead", "delete", "/api/v1/groups/{group}/members/{home}?left_on=2026-02-01", None),
    ("facilitator", "get", "/api/v1/users", None),
    ("facilitator", "post", "/api/v1/homes", {"name": "Facilitator's home"}),
    ("facilitator", "patch", "/api/v1/groups/{group}", {"default_duration_minutes": 60}),
    ("supervisor", "get", "/api/v1/homes", None),
    ("supervisor", "get", "/api/v1/groups/{group}", None),
    ("supervisor", "get", "/api/v1/users", None),
], ids=case)
def test_the_wrong_role_is_403_and_changes_nothing(app, make, seeded, role, method, url, body):
    api = client_as(app, make, role)
    if body is not None:
        body = {k: (int(v.format(**seeded)) if isinstance(v, str) and v.startswith("{") else v)
                for k, v in body.items()}
    before = (counts(), group_state(seeded["group"]), user_state(seeded["user"]),
              home_state(seeded["home"]))
    kwargs = {} if method in ("get", "delete") else {"json": body}
    error(getattr(api, method)(url.format(**seeded), **kwargs), 403)
    assert (counts(), group_state(seeded["group"]), user_state(seeded["user"]),
            home_state(seeded["home"])) == before
    assert memberships(seeded["group"]) == [(seeded["home"], date(2026, 1, 5), None)]


@pytest.mark.parametrize(("role", "url"), [
    ("lead", "/api/v1/users"), ("lead", "/api/v1/users/{user}"),
    ("lead", "/api/v1/homes"), ("lead", "/api/v1/groups/{group}"),
    ("facilitator", "/api/v1/homes"), ("facilitator", "/api/v1/homes/{home}"),
    ("facilitator", "/api/v1/groups"), ("facilitator", "/api/v1/groups/{group}"),
])
def test_leads_and_facilitators_can_read(app, make, seeded, role, url):
    assert client_as(app, make, role).get(url.format(**seeded)).status_code == 200


# 404 and 400 ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "url", "body"), [
    ("get", "/api/v1/users/999999", None),
    ("patch", "/api/v1/users/999999", {"name": "Nobody"}),
    ("get", "/api/v1/homes/999999", None),
    ("patch", "/api/v1/homes/999999", {"beds": 3}),
    ("get", "/api/v1/groups/999999", None),
    ("patch", "/api/v1/groups/999999", {"name": "Nothing"}),
    ("post", "/api/v1/groups/999999/members", {"home_id": "@home", "joined_on": "2026-02-01"}),
    ("delete", "/api/v1/groups/999999/members/1?left_on=2026-02-01", None),
    ("get", "/api/v1/homes/not-a-number", None),
    ("get", "/api/v1/no-such-thing", None),
], ids=case)
def test_unknown_ids_and_paths_are_json_404(admin_api, seeded, method, url, body):
    before = counts()
    kwargs = {} if body is None else {"json": _fill(body, seeded)}
    error(getattr(admin_api, method)(url, **kwargs), 404)
    assert counts() == before


WRITES = [
    ("post", "/api/v1/users"), ("patch", "/api/v1/users/{user}"),
    ("post", "/api/v1/homes"), ("patch", "/api/v1/homes/{home}"),
    ("post", "/api/v1/groups"), ("patch", "/api/v1/groups/{group}"),
    ("post", "/api/v1/groups/{group}/members"),
]


@pytest.mark.parametrize(("data", "content_type"), [
    ('{"name": "Unclosed', "application/json"),
    ("", "application/json"),
    ("null", "application/json"),
    ('{"name": "Right JSON, wrong type"}', "text/plain"),
])
@pytest.mark.parametrize(("method", "url"), WRITES)
def test_a_body_that_is_not_json_is_400(admin_api, seeded, method, url, data, content_type):
    before = counts()
    response = getattr(admin_api.client, method)(
        url.format(**seeded), data=data, content_type=content_type,
        headers={"Authorization": f"Bearer {admin_api.token}"})
    error(response, 400, "body")
    assert counts() == before


@pytest.mark.parametrize(("method", "url"), WRITES)
def test_json_that_is_not_an_object_is_422(admin_api, seeded, method, url):
    error(getattr(admin_api, method)(url.format(**seeded), json=["name", "X"]), 422, "body")


def test_an_unsupported_method_is_json_405(admin_api, seeded):
    response = admin_api.put(f"/api/v1/homes/{seeded['home']}", json={"name": "X"})
    error(response, 405)
    assert "PATCH" in response.headers["Allow"]


# Users ------------------------------------------------------------------------------------------

def test_admin_creates_a_user_and_leads_list_them(app, make, admin_api):
    supervisor = make.user("supervisor")
    response = admin_api.post("/api/v1/users", json={
        "email": "Ailsa.Fraser@Example.org", "name": " Ailsa Fraser ", "role": "facilitator",
        "supervisor_id": supervisor.id})
    assert response.status_code == 201
    created = response.get_json()
    assert created == {"id": created["id"], "email": "ailsa.fraser@example.org", "name": "Ailsa Fraser",
                       "role": "facilitator", "active": True, "supervisor_id": supervisor.id, "phone": None}

    [user] = committed(select(User).where(User.id == created["id"]))
    assert (user.email, user.role, user.supervisor_id) == ("ailsa.fraser@example.org", "facilitator",
                                                           supervisor.id)
    assert user.password_hash is None  # she chooses it through the link she was emailed
    [welcome] = committed(select(OutboxMessage).where(OutboxMessage.to_email == user.email))
    assert "/password/reset?token=" in welcome.body_text

    listing = client_as(app, make, "lead").get("/api/v1/users")
    assert listing.status_code == 200
    assert set(listing.get_json()) == {"users"}
    users = listing.get_json()["users"]
    assert all(set(u) == USER_KEYS for u in users), "no password hash or other field leaks"
    assert created in users
    assert len(users) == counts()["User"]


def test_a_users_phone_is_optional_checked_and_can_be_removed(admin_api, make):
    response = admin_api.post("/api/v1/users", json={
        "email": "ph@example.org", "name": "Ph", "role": "facilitator", "phone": " +44 131 496 0000 "})
    assert response.status_code == 201 and response.get_json()["phone"] == "+44 131 496 0000"
    user_id = response.get_json()["id"]
    error(admin_api.patch(f"/api/v1/users/{user_id}", json={"phone": "call me maybe"}), 422, "phone")
    assert admin_api.patch(f"/api/v1/users/{user_id}", json={"phone": "0131 496 0001"}).get_json()["phone"] \
        == "0131 496 0001"
    assert admin_api.patch(f"/api/v1/users/{user_id}", json={"phone": None}).get_json()["phone"] is None
    [user] = committed(select(User).where(User.id == user_id))
    assert user.phone is None


def test_an_admin_cannot_set_a_password_through_the_api(admin_api, make):
    before = counts()
    error(admin_api.post("/api/v1/users", json={"email": "p@example.org", "name": "P", "role": "lead",
                                               "password": "heather bothy kettle"}), 422, "password")
    assert counts() == before
    user = make.user("lead")
    error(admin_api.patch(f"/api/v1/users/{user.id}", json={"password": "heather bothy kettle"}), 422,
          "password")


def test_an_admin_emails_a_user_a_link_to_choose_a_new_password(admin_api, make):
    user = make.user("lead")
    response = admin_api.post(f"/api/v1/users/{user.id}/password-link")
    assert response.status_code == 204
    [sent] = committed(select(OutboxMessage).where(OutboxMessage.to_email == user.email))
    assert "/password/reset?token=" in sent.body_text


def test_a_user_can_be_created_without_a_password(admin_api):
    response = admin_api.post("/api/v1/users", json={"email": "l@example.org", "name": "L", "role": "lead"})
    assert response.status_code == 201
    [user] = committed(select(User).where(User.email == "l@example.org"))
    assert user.password_hash is None


def test_one_user_by_id(admin_api, make):
    user = make.user("lead")
    response = admin_api.get(f"/api/v1/users/{user.id}")
    assert response.get_json() == {"id": user.id, "email": user.email, "name": user.name, "role": "lead",
                                   "active": True, "supervisor_id": None, "phone": None}


def test_a_taken_email_is_409_whatever_the_case(admin_api, make):
    make.user("lead", email="morag@example.org")
    before = counts()
    error(admin_api.post("/api/v1/users", json={"email": "MORAG@example.org", "name": "M", "role": "admin"}),
          409, "email")
    assert counts() == before


@pytest.fixture
def people(make: Factory) -> dict[str, int]:
    inactive = make.user("supervisor")
    inactive.is_active = False
    db.session.commit()
    return {"supervisor": make.user("supervisor").id, "inactive_supervisor": inactive.id,
            "lead": make.user("lead").id, "facilitator": make.user("facilitator").id}


def _fill(body: dict[str, Any], ids: dict[str, int]) -> dict[str, Any]:
    """Replace ``"@name"`` values (also inside lists) by the id of ``ids[name]``."""
    def one(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("@"):
            return ids[v[1:]]
        if isinstance(v, list):
            return [one(x) for x in v]
        return v
    return {k: one(v) for k, v in body.items()}


@pytest.mark.parametrize(("changes", "field"), [
    ({"email": "not-an-email"}, "email"),
    ({"email": None}, "email"),
    ({"name": "   "}, "name"),
    ({"role": "owner"}, "role"),
    ({"password": "too short"}, "password"),
    ({"password": "a long enough password"}, "password"),
    ({"is_admin": True}, "is_admin"),
    ({"supervisor_id": "@lead"}, "supervisor_id"),
    ({"supervisor_id": "@inactive_supervisor"}, "supervisor_id"),
    ({"supervisor_id": 999999}, "supervisor_id"),
    ({"supervisor_id": TOO_BIG_ID}, "supervisor_id"),
    ({"supervisor_id": "@supervisor", "role": "lead"}, "supervisor_id"),
    ({"supervisor_id": "@supervisor", "role": "supervisor"}, "supervisor_id"),
], ids=case)
def test_creating_a_user_with_a_bad_field_is_422(admin_api, people, changes, field):
    body = {"email": "new@example.org", "name": "New Person", "role": "facilitator",
            **_fill(changes, people)}
    before = counts()
    error(admin_api.post("/api/v1/users", json=body), 422, field)
    assert counts() == before


def user_state(user_id: int) -> tuple[Any, ...]:
    [u] = committed(select(User).where(User.id == user_id))
    return (u.name, u.role, u.is_active, u.supervisor_id, u.email)


def test_patch_changes_only_the_fields_given(admin_api, make, people):
    user = make.user("facilitator", name="Callum Reid", supervisor_id=people["supervisor"])
    response = admin_api.patch(f"/api/v1/users/{user.id}", json={"name": "Callum J. Reid"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "Callum J. Reid"
    assert user_state(user.id) == ("Callum J. Reid", "facilitator", True, people["supervisor"], user.email)


def test_patch_sets_and_clears_a_supervisor(admin_api, make, people):
    user = make.user("facilitator")
    assert admin_api.patch(f"/api/v1/users/{user.id}",
                           json={"supervisor_id": people["supervisor"]}).status_code == 200
    assert user_state(user.id)[3] == people["supervisor"]
    response = admin_api.patch(f"/api/v1/users/{user.id}", json={"supervisor_id": None})
    assert response.status_code == 200 and response.get_json()["supervisor_id"] is None
    assert user_state(user.id)[3] is None


def test_a_facilitator_who_changes_role_loses_their_supervisor(admin_api, make, people):
    user = make.user("facilitator", supervisor_id=people["supervisor"])
    response = admin_api.patch(f"/api/v1/users/{user.id}", json={"role": "lead"})
    assert response.status_code == 200
    assert user_state(user.id)[1:4] == ("lead", True, None)


@pytest.mark.parametrize(("body", "field"), [
    ({"role": None}, "role"),
    ({"active": None}, "active"),
    ({"name": None}, "name"),
    ({"name": ""}, "name"),
    ({"role": "owner"}, "role"),
    ({"active": "maybe"}, "active"),
    ({"email": "changed@example.org"}, "email"),
    ({"supervisor_id": "@lead"}, "supervisor_id"),
    ({"supervisor_id": "@inactive_supervisor"}, "supervisor_id"),
    ({"supervisor_id": TOO_BIG_ID}, "supervisor_id"),
    ({"role": "lead", "supervisor_id": "@supervisor"}, "supervisor_id"),
], ids=case)
def test_a_bad_patch_is_422_and_changes_nothing(admin_api, make, people, body, field):
    user = make.user("facilitator", supervisor_id=people["supervisor"])
    before = user_state(user.id)
    error(admin_api.patch(f"/api/v1/users/{user.id}", json=_fill(body, people)), 422, field)
    assert user_state(user.id) == before


@pytest.mark.parametrize("body", [{"active": False}, {"role": "lead"}])
def test_an_admin_cannot_remove_their_own_admin_access(admin_api, body):
    me = committed(select(User).where(User.role == "admin"))[0]
    error(admin_api.patch(f"/api/v1/users/{me.id}", json=body), 422, "role")
    assert user_state(me.id)[1:3] == ("admin", True)


def test_deactivating_a_user_ends_their_sessions_and_their_token(app, make, admin_api, auth):
    user = make.user("lead")
    their_api = client_as(app, make, user)
    browser = Auth(app.test_client(), make)
    browser.login(user)
    assert their_api.get("/api/v1/users").status_code == 200
    assert browser.client.get("/users").status_code == 200

    response = admin_api.patch(f"/api/v1/users/{user.id}", json={"active": False})
    assert response.status_code == 200 and response.get_json()["active"] is False
    assert user_state(user.id)[2] is False
    assert committed(select(UserSession).where(UserSession.user_id == user.id)) == []
    error(their_api.get("/api/v1/users"), 401)
    assert browser.client.get("/users").status_code == 302  # sent back to sign in

    # Reactivating does not bring the old token back: it was revoked, not just paused.
    assert admin_api.patch(f"/api/v1/users/{user.id}", json={"active": True}).status_code == 200
    error(their_api.get("/api/v1/users"), 401)
    assert client_as(app, make, user).get("/api/v1/users").status_code == 200


# Homes ------------------------------------------------------------------------------------------

NEW_HOME = {
    "name": "Taigh na Mara", "region": "Na h-Eileanan Siar", "beds": 18,
    "protected_time_agreed_on": "2026-02-16", "notes": "Ferry times matter.",
    "contacts": [
        {"name": "Mhairi Morrison", "email": "Mhairi@TaighNaMara.example", "role": "manager"},
        {"name": "Neil Grant", "email": "neil@taighnamara.example", "role": "care_worker"},
        {"name": "Lorna Ross", "email": "lorna@taighnamara.example"},
    ],
}


def test_admin_creates_a_home_with_its_contacts(app, make, admin_api):
    response = admin_api.post("/api/v1/homes", json=NEW_HOME)
    assert response.status_code == 201
    created = response.get_json()
    assert set(created) == HOME_KEYS
    assert (created["name"], created["beds"], created["protected_time_agreed_on"],
            created["protected_time_agreed"]) == ("Taigh na Mara", 18, "2026-02-16", True)
    assert all(set(c) == CONTACT_KEYS for c in created["contacts"])
    assert {(c["email"], c["role"], c["active"]) for c in created["contacts"]} == {
        ("mhairi@taighnamara.example", "manager", True),
        ("neil@taighnamara.example", "care_worker", True),
        ("lorna@taighnamara.example", "other", True),
    }

    [home] = committed(select(CareHome).where(CareHome.id == created["id"]))
    assert (home.region, home.notes, home.protected_time_agreed_on) == (
        "Na h-Eileanan Siar", "Ferry times matter.", date(2026, 2, 16))
    assert sorted(c.email for c in home.contacts) == sorted(c["email"] for c in created["contacts"])

    reader = client_as(app, make, "facilitator")
    assert reader.get(f"/api/v1/homes/{home.id}").get_json() == created
    listing = reader.get("/api/v1/homes").get_json()
    assert set(listing) == {"homes"} and listing["homes"] == [created]


def test_a_home_needs_only_a_name(admin_api):
    response = admin_api.post("/api/v1/homes", json={"name": "Lochside Manor"})
    assert response.status_code == 201
    assert response.get_json() == {
        "id": response.get_json()["id"], "name": "Lochside Manor", "region": "", "local_authority": None,
        "beds": None,
        "protected_time_agreed": False, "protected_time_agreed_on": None, "notes": "", "contacts": []}


def _contacts(*changes: dict[str, Any]) -> list[dict[str, Any]]:
    base = [{"name": "Fiona Stewart", "email": "fiona@home.example", "role": "manager"},
            {"name": "Euan Thomson", "email": "euan@home.example", "role": "team_leader"}]
    return [{**c, **change} for c, change in zip(base, changes, strict=False)] + base[len(changes):]


@pytest.mark.parametrize(("changes", "field"), [
    ({"contacts": _contacts({"email": "fiona-at-home"})}, "contacts[0].email"),
    ({"contacts": _contacts({}, {"email": "FIONA@home.example"})}, "contacts[1].email"),
    ({"contacts": _contacts({}, {"role": "chef"})}, "contacts[1].role"),
    ({"contacts": _contacts({"name": ""})}, "contacts[0].name"),
    ({"contacts": [{"email": "nameless@home.example"}]}, "contacts[0].name"),
    ({"contacts": [{"name": "X", "email": "x@home.example", "phone": "0141"}]}, "contacts[0].phone"),
    ({"contacts": {"name": "Not a list"}}, "contacts"),
    ({"beds": -1}, "beds"),
    ({"beds": 10001}, "beds"),
    ({"beds": "lots"}, "beds"),
    ({"beds": 12.5}, "beds"),
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"protected_time_agreed_on": "last spring"}, "protected_time_agreed_on"),
    ({"region": "x" * 101}, "region"),
    ({"owner": "me"}, "owner"),
], ids=case)
def test_creating_a_home_with_a_bad_field_is_422(admin_api, changes, field):
    body = {"name": "Glenisla House", "region": "Angus", "contacts": _contacts(), **changes}
    error(admin_api.post("/api/v1/homes", json=body), 422, field)
    assert counts()["CareHome"] == counts()["Contact"] == 0


def home_state(home_id: int) -> tuple[Any, ...]:
    [h] = committed(select(CareHome).where(CareHome.id == home_id))
    return (h.name, h.region, h.beds, h.protected_time_agreed_on, h.notes,
            sorted(c.email for c in h.contacts))


@pytest.fixture
def home(make: Factory) -> CareHome:
    home = make.home("Hawthorn Bank", region="Dumfries and Galloway", beds=28,
                     protected_time_agreed_on=date(2026, 1, 12), notes="Ring the bell.")
    return home


@pytest.mark.parametrize(("body", "changed"), [
    ({"beds": 30}, {2: 30}),
    ({"beds": None}, {2: None}),
    ({"protected_time_agreed_on": None}, {3: None}),
    ({"protected_time_agreed_on": "2026-06-01"}, {3: date(2026, 6, 1)}),
    ({"name": " Hawthorn Bank Care ", "region": "Dumfries & Galloway"},
     {0: "Hawthorn Bank Care", 1: "Dumfries & Galloway"}),
    ({"notes": ""}, {4: ""}),
    ({}, {}),
], ids=case)
def test_patching_a_home_changes_only_the_fields_given(admin_api, home, body, changed):
    before = home_state(home.id)
    response = admin_api.patch(f"/api/v1/homes/{home.id}", json=body)
    assert response.status_code == 200
    expected = tuple(changed.get(i, v) for i, v in enumerate(before))
    assert home_state(home.id) == expected
    assert response.get_json()["protected_time_agreed"] is (expected[3] is not None)


@pytest.mark.parametrize(("body", "field"), [
    ({"name": None}, "name"),
    ({"region": None}, "region"),
    ({"notes": None}, "notes"),
    ({"name": "  "}, "name"),
    ({"beds": -3}, "beds"),
    ({"beds": 30, "protected_time_agreed_on": "soon"}, "protected_time_agreed_on"),
    ({"contacts": [{"name": "X", "email": "x@home.example"}]}, "contacts"),
], ids=case)
def test_a_bad_home_patch_is_422_and_changes_nothing(admin_api, home, body, field):
    before = home_state(home.id)
    error(admin_api.patch(f"/api/v1/homes/{home.id}", json=body), 422, field)
    assert home_state(home.id) == before


# Groups -----------------------------------------------------------------------------------------

def test_admin_creates_a_group(app, make, admin_api):
    ailsa, callum = make.user("facilitator"), make.user("facilitator")
    response = admin_api.post("/api/v1/groups", json={
        "name": "Highlands and Islands PSL", "provider": "teams", "default_duration_minutes": 75,
        "facilitator_ids": [ailsa.id, callum.id]})
    assert response.status_code == 201
    created = response.get_json()
    assert set(created) == GROUP_KEYS
    assert (created["name"], created["provider"], created["default_duration_minutes"]) == (
        "Highlands and Islands PSL", "teams", 75)
    assert created["members"] == []
    assert sorted(created["facilitator_ids"]) == sorted([ailsa.id, callum.id])

    [group] = committed(select(Group).where(Group.id == created["id"]))
    assert {u.id for u in group.facilitators} == {ailsa.id, callum.id}
    reader = client_as(app, make, "lead")
    assert reader.get(f"/api/v1/groups/{group.id}").get_json() == created
    listing = reader.get("/api/v1/groups").get_json()
    assert set(listing) == {"groups"} and listing["groups"] == [created]


def test_a_group_has_defaults(admin_api):
    created = admin_api.post("/api/v1/groups", json={"name": "Fife PSL"}).get_json()
    assert (created["provider"], created["default_duration_minutes"], created["facilitator_ids"]) == (
        "zoom", 90, [])


def test_a_group_name_is_409_when_taken(admin_api, make):
    make.group("Fife PSL")
    other = make.group("Angus PSL")
    error(admin_api.post("/api/v1/groups", json={"name": "Fife PSL"}), 409, "name")
    error(admin_api.patch(f"/api/v1/groups/{other.id}", json={"name": "Fife PSL"}), 409, "name")
    assert sorted(g.name for g in committed(select(Group))) == ["Angus PSL", "Fife PSL"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"default_duration_minutes": 14}, "default_duration_minutes"),
    ({"default_duration_minutes": 481}, "default_duration_minutes"),
    ({"default_duration_minutes": "an hour"}, "default_duration_minutes"),
    ({"facilitator_ids": ["@lead"]}, "facilitator_ids"),
    ({"facilitator_ids": ["@facilitator", 999999]}, "facilitator_ids"),
    ({"facilitator_ids": "@facilitator"}, "facilitator_ids"),
    ({"facilitator_ids": [TOO_BIG_ID]}, "facilitator_ids[0]"),
    ({"provider": "skype"}, "provider"),
    ({"name": " "}, "name"),
    ({"name": None}, "name"),
], ids=case)
def test_creating_a_group_with_a_bad_field_is_422(admin_api, people, changes, field):
    body = {"name": "Angus PSL", "provider": "zoom", **_fill(changes, people)}
    error(admin_api.post("/api/v1/groups", json=body), 422, field)
    assert counts()["Group"] == 0


def group_state(group_id: int) -> tuple[Any, ...]:
    [gr] = committed(select(Group).where(Group.id == group_id))
    return (gr.name, gr.provider, gr.default_duration_minutes, sorted(u.id for u in gr.facilitators))


def test_patching_a_group_changes_only_the_fields_given(admin_api, make):
    ailsa, callum = make.user("facilitator"), make.user("facilitator")
    group = make.group("West PSL", facilitators=[ailsa], provider="zoom")
    url = f"/api/v1/groups/{group.id}"
    assert admin_api.patch(url, json={"default_duration_minutes": 60}).status_code == 200
    assert group_state(group.id) == ("West PSL", "zoom", 60, [ailsa.id])
    assert admin_api.patch(url, json={"facilitator_ids": [callum.id]}).status_code == 200
    assert group_state(group.id) == ("West PSL", "zoom", 60, [callum.id])
    response = admin_api.patch(url, json={"facilitator_ids": [], "provider": "link"})
    assert response.get_json()["facilitator_ids"] == []
    assert group_state(group.id) == ("West PSL", "link", 60, [])


@pytest.mark.parametrize(("body", "field"), [
    ({"name": None}, "name"),
    ({"provider": None}, "provider"),
    ({"default_duration_minutes": None}, "default_duration_minutes"),
    ({"facilitator_ids": None}, "facilitator_ids"),
    ({"default_duration_minutes": 500}, "default_duration_minutes"),
    ({"facilitator_ids": ["@lead"]}, "facilitator_ids"),
    ({"name": "Renamed", "facilitator_ids": ["@supervisor"]}, "facilitator_ids"),
], ids=case)
def test_a_bad_group_patch_is_422_and_changes_nothing(admin_api, make, people, body, field):
    group = make.group("West PSL", facilitators=[db.session.get(User, people["facilitator"])])
    before = group_state(group.id)
    error(admin_api.patch(f"/api/v1/groups/{group.id}", json=_fill(body, people)), 422, field)
    assert group_state(group.id) == before


# Memberships ------------------------------------------------------------------------------------

def test_adding_and_removing_a_home_keeps_the_history(app, make, admin_api):
    group, home = make.group(), make.home("Dunvegan Lodge")
    members = f"/api/v1/groups/{group.id}/members"

    response = admin_api.post(members, json={"home_id": home.id, "joined_on": "2026-02-02"})
    assert response.status_code == 201
    assert response.get_json() == {"home_id": home.id, "home_name": "Dunvegan Lodge",
                                   "joined_on": "2026-02-02", "left_on": None}
    assert memberships(group.id) == [(home.id, date(2026, 2, 2), None)]

    response = admin_api.delete(f"{members}/{home.id}?left_on=2026-05-29")
    assert response.status_code == 200
    assert response.get_json()["left_on"] == "2026-05-29"
    assert memberships(group.id) == [(home.id, date(2026, 2, 2), date(2026, 5, 29))]
    assert counts()["CareHome"] == 1

    response = admin_api.post(members, json={"home_id": home.id, "joined_on": "2026-09-01"})
    assert response.status_code == 201
    assert memberships(group.id) == [(home.id, date(2026, 2, 2), date(2026, 5, 29)),
                                     (home.id, date(2026, 9, 1), None)]
    shown = client_as(app, make, "facilitator").get(f"/api/v1/groups/{group.id}").get_json()["members"]
    assert [(m["joined_on"], m["left_on"]) for m in shown] == [("2026-02-02", "2026-05-29"),
                                                               ("2026-09-01", None)]


def test_removing_without_a_date_ends_the_membership_today(admin_api, make):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2025, 1, 6))
    response = admin_api.delete(f"/api/v1/groups/{group.id}/members/{home.id}")
    assert response.status_code == 200
    assert memberships(group.id) == [(home.id, date(2025, 1, 6), local_today())]


def test_a_home_already_in_the_group_is_409(admin_api, make):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    error(admin_api.post(f"/api/v1/groups/{group.id}/members",
                         json={"home_id": home.id, "joined_on": "2026-03-01"}), 409, "home_id")
    assert memberships(group.id) == [(home.id, date(2026, 1, 5), None)]


@pytest.mark.parametrize(("body", "field"), [
    ({"home_id": "@home", "joined_on": "2026-02-30"}, "joined_on"),
    ({"home_id": "@home", "joined_on": "soon"}, "joined_on"),
    ({"home_id": "@home"}, "joined_on"),
    ({"joined_on": "2026-02-02"}, "home_id"),
    ({"home_id": 999999, "joined_on": "2026-02-02"}, "home_id"),
    ({"home_id": TOO_BIG_ID, "joined_on": "2026-02-02"}, "home_id"),
    ({"home_id": "@left", "joined_on": "2026-02-27"}, "joined_on"),  # before it last left
], ids=case)
def test_adding_a_member_with_a_bad_field_is_422(admin_api, make, body, field):
    home, left = make.home(), make.home()
    group = make.group(homes=[left], joined_on=date(2026, 1, 5))
    admin_api.delete(f"/api/v1/groups/{group.id}/members/{left.id}?left_on=2026-02-28")
    before = memberships(group.id)
    error(admin_api.post(f"/api/v1/groups/{group.id}/members", json=_fill(body, {"home": home.id,
                                                                                "left": left.id})),
          422, field)
    assert memberships(group.id) == before


@pytest.mark.parametrize(("query", "field"), [
    ("?left_on=2026-01-04", "left_on"),   # before it joined
    ("?left_on=31-01-2026", "left_on"),
    ("?left_on=2026-01-10&reason=x", "reason"),
])
def test_removing_a_member_with_a_bad_date_is_422(admin_api, make, query, field):
    home = make.home()
    group = make.group(homes=[home], joined_on=date(2026, 1, 5))
    error(admin_api.delete(f"/api/v1/groups/{group.id}/members/{home.id}{query}"), 422, field)
    assert memberships(group.id) == [(home.id, date(2026, 1, 5), None)]


def test_removing_a_home_that_is_not_a_current_member_is_refused(admin_api, make):
    member, outsider = make.home(), make.home()
    group = make.group(homes=[member], joined_on=date(2026, 1, 5))
    url = f"/api/v1/groups/{group.id}/members"
    error(admin_api.delete(f"{url}/{outsider.id}?left_on=2026-02-01"), 422, "home_id")
    assert admin_api.delete(f"{url}/{member.id}?left_on=2026-02-01").status_code == 200
    error(admin_api.delete(f"{url}/{member.id}?left_on=2026-03-01"), 422, "home_id")
    assert memberships(group.id) == [(member.id, date(2026, 1, 5), date(2026, 2, 1))]
