"""Every route × every role: who gets in and who is refused. A new route must be added here."""

from __future__ import annotations

import pytest
from flask import Flask

from facilitator.access import ADMIN, LEAD_OR_ADMIN, PUBLIC, READERS, STAFF, allowed_roles
from facilitator.auth.services import issue_api_token
from facilitator.extensions import db
from tests.factories import Auth, Factory

P = frozenset({PUBLIC})

EXPECTED: dict[str, frozenset[str]] = {
    "auth.login": P,
    "auth.logout": STAFF,
    "home.index": STAFF,
    "home.healthz": P,
    "api_docs.openapi": P,
    "admin.users": LEAD_OR_ADMIN,
    "admin.edit_user": ADMIN,
    "admin.homes": READERS,
    "admin.home": READERS,
    "admin.edit_home": ADMIN,
    "admin.edit_contact": ADMIN,
    "admin.groups": READERS,
    "admin.group": READERS,
    "admin.edit_group": ADMIN,
    "admin.add_member": ADMIN,
    "admin.end_membership": ADMIN,
    "api.list_users": LEAD_OR_ADMIN,
    "api.create_user": ADMIN,
    "api.get_user": LEAD_OR_ADMIN,
    "api.update_user": ADMIN,
    "api.list_homes": READERS,
    "api.create_home": ADMIN,
    "api.get_home": READERS,
    "api.update_home": ADMIN,
    "api.list_groups": READERS,
    "api.create_group": ADMIN,
    "api.get_group": READERS,
    "api.update_group": ADMIN,
    "api.add_member": ADMIN,
    "api.remove_member": ADMIN,
}

ROLES = ["anonymous", "admin", "lead", "facilitator", "supervisor"]


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) for every route but static files; sign-out last."""
    found = [
        (rule.endpoint, rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda r: (r[0] == "auth.logout", r))


def test_every_route_has_an_expected_entry_and_declares_it(app):
    endpoints = {endpoint for endpoint, _, _ in routes(app)}
    missing = endpoints - EXPECTED.keys()
    assert not missing, f"routes without an entry in the role matrix: {sorted(missing)}"
    assert not EXPECTED.keys() - endpoints, "matrix lists routes that no longer exist"
    for endpoint in endpoints:
        assert allowed_roles(app, endpoint) == EXPECTED[endpoint], endpoint


def test_a_view_without_declared_roles_is_refused(make_app):
    app = make_app()
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    assert app.test_client().get("/forgotten").status_code == 403


def _fill(rule: str, ids: dict[str, int]) -> str:
    url = rule
    for name, value in ids.items():
        url = url.replace(f"<int:{name}>", str(value))
    assert "<" not in url, f"no test id for {rule}"
    return url


def _seed(make: Factory) -> dict[str, int]:
    facilitator = make.user("facilitator")
    home = make.home()
    group = make.group(facilitators=[facilitator], homes=[home])
    return {"user_id": facilitator.id, "home_id": home.id, "contact_id": home.contacts[0].id,
            "group_id": group.id}


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, make_app):
    app = make_app(WTF_CSRF_ENABLED=False)
    with app.app_context():
        make = Factory(app)
        ids = _seed(make)
        client = app.test_client()
        auth = Auth(client, make)
        user_role = None if role == "anonymous" else role
        headers = {}
        if user_role:
            user = auth.login(user_role)
            headers = {"Authorization": f"Bearer {issue_api_token(user)}"}
            db.session.commit()
        for endpoint, rule, method in routes(app):
            url = _fill(rule, ids)
            kwargs = {}
            if url.startswith("/api/"):
                kwargs["headers"] = headers
                if method in ("POST", "PATCH", "PUT"):
                    kwargs["json"] = {}
            response = client.open(url, method=method, **kwargs)
            allowed = EXPECTED[endpoint]
            where = f"{role} {method} {url} → {response.status_code}"
            if PUBLIC in allowed or user_role in allowed:
                assert response.status_code not in (401, 403), where
                assert "/login?next" not in response.headers.get("Location", ""), where
            elif user_role is None and url.startswith("/api/"):
                assert response.status_code == 401, where
                assert response.is_json, where
            elif user_role is None:
                assert response.status_code == 302, where
                assert response.headers["Location"].startswith("/login"), where
            else:
                assert response.status_code == 403, where
