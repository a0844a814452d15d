"""The API's common behaviour: its OpenAPI document, error shapes, and never HTML."""

from __future__ import annotations

import re

import pytest

from facilitator.api.core import OPERATIONS

PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def test_openapi_describes_every_api_route(app, client):
    spec = client.get("/api/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = PARAM.sub(r"{\1}", rule.rule)
        assert path in spec["paths"], f"{rule.rule} missing from openapi.json"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec["paths"][path], f"{method} {rule.rule} missing"


def test_every_schema_reference_resolves(client):
    spec = client.get("/api/openapi.json").json
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', client.get("/api/openapi.json")
                          .get_data(as_text=True)))
    assert refs and refs <= spec["components"]["schemas"].keys()


def test_operations_are_registered_once():
    keys = [(op.rule, op.method) for op in OPERATIONS]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize(("method", "url", "status"), [
    ("get", "/api/v1/no-such-thing", 404),
    ("put", "/api/v1/users", 405),
    ("get", "/api/v1/users", 401),
])
def test_errors_are_json_with_a_message(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response.is_json
    assert set(response.json) == {"error"}
    assert response.json["error"]["message"]
    assert isinstance(response.json["error"]["fields"], dict)


def test_missing_token_says_how_to_authenticate(client):
    response = client.get("/api/v1/homes")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json["error"]["message"]


def test_api_ignores_the_session_cookie(auth, client):
    auth.login("admin")
    assert client.get("/api/v1/users").status_code == 401


@pytest.mark.fresh_app
def test_an_unexpected_error_is_json_without_a_traceback(make_app):
    from facilitator.access import PUBLIC, allow
    from facilitator.api.core import bp  # noqa: F401 - the blueprint is registered

    app = make_app()

    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/explode", "explode", allow(PUBLIC)(explode))
    response = app.test_client().get("/api/v1/explode")
    assert response.status_code == 500
    assert response.is_json
    assert "secret internals" not in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/v1/homes/99999999999999999999", "/api/v1/homes/2147483648"])
def test_an_id_too_large_for_the_database_is_not_found(api, url):
    api.as_user("admin")
    response = api.get(url)
    assert response.status_code == 404
    assert response.is_json


def test_an_html_page_with_a_huge_id_is_not_found(auth, client):
    auth.login("admin")
    assert client.get("/homes/99999999999999999999").status_code == 404
