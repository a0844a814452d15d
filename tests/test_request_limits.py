"""Bodies no view asked for are never read, a body over ``MAX_BODY_BYTES`` is refused before it
is read, and JSON is parsed only where a view reads it: too deep, or holding a NUL, is a 400 that
names the body."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from facilitator import create_app
from tests.conftest import TEST_SECRET

DEEP = b"[" * 30_000 + b"]" * 30_000  # 60 KB: deeper than Python's recursion limit
WIDE = b"[" + b",".join([b"[]"] * 200_000) + b"]"  # 600 KB of empty arrays
WEBHOOK_SECRET = "webhook-secret-for-the-tests"


def test_a_body_over_the_limit_is_refused_before_it_is_read(client):
    big = b"x" * (1024 * 1024 + 1)
    response = client.post("/healthz", data=big, content_type="application/json")
    assert response.status_code == 413
    api = client.post("/api/v1/sessions", data=big, content_type="application/json",
                      headers={"Authorization": "Bearer fac_whatever"})
    assert api.status_code == 413 and api.json["error"]["message"]


def test_the_limit_is_a_setting(make_app):
    app = make_app(MAX_BODY_BYTES=2048)
    assert app.config["MAX_CONTENT_LENGTH"] == 2048
    assert app.test_client().get("/healthz", data=b"x" * 4096).status_code == 413
    assert app.test_client().get("/healthz", data=b"x" * 1024).status_code == 200


def test_the_limit_is_checked_at_start(tmp_path):
    with pytest.raises(ValueError, match="MAX_BODY_BYTES"):
        create_app({"SECRET_KEY": TEST_SECRET, "MAX_BODY_BYTES": "lots"}, instance_path=str(tmp_path))


@pytest.mark.parametrize("body", [DEEP, WIDE], ids=["deep", "wide"])
def test_a_route_that_reads_no_body_never_parses_one(client, body):
    for path in ("/healthz", "/login", "/api/openapi.json"):
        response = client.get(path, data=body, content_type="application/json")
        assert response.status_code == 200, path


def test_an_api_body_nested_too_deeply_is_a_400_naming_the_body(api):
    api.as_user("admin")
    for body in (DEEP, b'{"name": ' + b"[" * 40 + b"1" + b"]" * 40 + b"}"):
        response = api.post("/api/v1/homes", data=body, content_type="application/json")
        assert response.status_code == 400, response.json
        assert "nested too deeply" in response.json["error"]["message"]
        assert "body" in response.json["error"]["fields"]


def test_nul_in_a_json_body_is_a_400_naming_the_body(api):
    api.as_user("admin")
    for body in ({"name": "Ardenlea\u0000House"}, {"name\u0000": "x"}, {"contacts": [{"name": "\u0000"}]}):
        response = api.post("/api/v1/homes", json=body)
        assert response.status_code == 400
        nul = "Text may not contain the NUL character (U+0000)."
        assert response.json["error"]["fields"] == {"body": nul}


def test_the_webhook_refuses_deep_json_after_checking_the_signature(make_app):
    app = make_app(ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET, RATELIMIT_ENABLED=False)
    client = app.test_client()
    deep = b'{"event": "meeting.ended", "payload": ' + b"[" * 40 + b"]" * 40 + b"}"
    unsigned = client.post("/webhooks/zoom", data=deep, content_type="application/json")
    assert unsigned.status_code == 401
    timestamp = str(int(time.time()))
    digest = hmac.new(WEBHOOK_SECRET.encode(), b"v0:" + timestamp.encode() + b":" + deep, hashlib.sha256)
    headers = {"x-zm-request-timestamp": timestamp, "x-zm-signature": "v0=" + digest.hexdigest()}
    signed = client.post("/webhooks/zoom", data=deep, content_type="application/json", headers=headers)
    assert signed.status_code == 400 and "nested too deeply" in signed.json["error"]["message"]
    assert json.loads(client.post("/webhooks/zoom", data=DEEP).data)["error"]["message"]
