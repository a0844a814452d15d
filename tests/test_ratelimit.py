"""Rate limits: link pages (missed links per address), webhooks (per address), the API (per token)."""

from __future__ import annotations

import os
import secrets
import socket
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.invites.tokens import mint_contact_token, token_hash
from facilitator.models import ContactToken, OutboxMessage
from facilitator.ratelimit import SLOW_ENVIRON_KEY, get_limiter
from tests.support.attendance import WEBHOOK_SECRET, fixture_bytes, sign
from tests.support.crawl import UNKNOWN_TOKEN, world_config
from tests.support.factories import csrf_token
from tests.test_security_headers import assert_headers

DELAY = 0.25


def limited(**extra: Any) -> dict[str, Any]:
    """Small limits so a test reaches them in a few requests."""
    return world_config(**{"RATELIMIT_ENABLED": True, "RATELIMIT_TOKEN_SLOW": "3 per minute",
                           "RATELIMIT_TOKEN_UNKNOWN": "6 per minute", "RATELIMIT_TOKEN_DELAY_SECONDS": DELAY,
                           "RATELIMIT_WEBHOOK": "3 per minute", "RATELIMIT_API": "3 per minute", **extra})


@pytest.fixture
def app(make_app: Any) -> Any:
    app = make_app(**limited())
    with app.app_context():
        yield app


def unknown(n: int) -> str:
    return f"/j/{UNKNOWN_TOKEN[:-4]}{n:04d}"


def held_back(response: Any) -> bool:
    """Whether the app asked for this answer to be held back (the wait itself is timed where it
    happens; an answer that is not held back is told by this flag, not by a clock on a busy machine)."""
    return bool(response.request.environ.get(SLOW_ENVIRON_KEY))


def timed_get(client: Any, url: str, **kw: Any) -> tuple[Any, float]:
    started = time.monotonic()
    response = client.get(url, **kw)
    return response, time.monotonic() - started


def assert_429(response: Any, url: str, json: bool) -> None:
    assert response.status_code == 429, url
    assert 1 <= int(response.headers["Retry-After"]) <= 61  # a minute's window, rounded up
    assert_headers(response, url)
    if json:
        assert response.get_json() == {"error": {"message": "Too many requests. Please wait a moment and try "
                                                            "again.", "fields": {}}}
    else:
        html = response.get_data(as_text=True)
        assert response.mimetype == "text/html"
        assert "Too many requests" in html and 'class="site-header"' in html


def test_missed_links_are_slowed_then_refused(app: Flask, make: Any) -> None:
    client = app.test_client()
    contact = make.home().contacts[0]
    good = f"/h/{mint_contact_token(contact)}"
    db.session.commit()
    for n in range(3):
        response = client.get(unknown(n))
        assert response.status_code == 404 and not held_back(response)
    for n in range(3, 6):
        response, took = timed_get(client, f"/feeds/{UNKNOWN_TOKEN[:-4]}{n:04d}.ics")
        assert response.status_code == 404 and took >= DELAY
    response = client.get(unknown(6))
    assert_429(response, unknown(6), json=False)
    assert not held_back(response)
    # A good link from the same address is refused too, or the 429s would tell good links from bad.
    assert_429(client.get(good), good, json=False)
    # Another address is not affected.
    other = client.get(unknown(7), environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 404


def test_good_links_never_count(app: Flask, make: Any) -> None:
    client = app.test_client()
    contact = make.home().contacts[0]
    good = f"/h/{mint_contact_token(contact)}"
    db.session.commit()
    for _ in range(10):
        assert client.get(good).status_code == 200
    # Had they counted, the address would be refused at once; it still has all six misses.
    assert [client.get(unknown(n)).status_code for n in range(6)] == [404] * 6
    assert client.get(unknown(6)).status_code == 429


def test_asking_an_expired_link_for_a_fresh_one_counts_as_a_miss(app: Flask, make: Any) -> None:
    client = app.test_client()
    contact = make.home().contacts[0]
    token = mint_contact_token(contact)
    row = db.session.scalar(select(ContactToken).where(ContactToken.token_hash == token_hash(token)))
    row.created_at -= timedelta(days=int(app.config["HOME_LINK_EXPIRY_DAYS"]))
    db.session.commit()
    html = client.get(f"/h/{token}").get_data(as_text=True)  # the offer page: miss 1
    form = {"csrf_token": csrf_token(html)}
    for _ in range(5):
        assert client.post(f"/h/{token}", data=form).status_code == 410
    assert_429(client.post(f"/h/{token}", data=form), f"/h/{token}", json=False)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1, "one email asked for"


def signed_validation() -> dict[str, Any]:
    """Zoom's URL validation request, signed now with the webhook secret: answered 200."""
    body = fixture_bytes("zoom_webhook_url_validation.json")
    timestamp = str(int(time.time()))
    return {"data": body, "content_type": "application/json",
            "headers": {"x-zm-request-timestamp": timestamp, "x-zm-signature": sign(body, timestamp)}}


def test_failed_webhook_signatures_are_limited_per_address(make_app: Any) -> None:
    client = make_app(**limited(ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET)).test_client()
    for _ in range(3):
        assert client.post("/webhooks/zoom", json={"event": "x"}).status_code == 401
    assert_429(client.post("/webhooks/zoom", json={"event": "x"}), "/webhooks/zoom", json=True)
    other = client.post("/webhooks/zoom", json={"event": "x"}, environ_base={"REMOTE_ADDR": "192.0.2.8"})
    assert other.status_code == 401


def test_signed_webhook_deliveries_are_never_limited(make_app: Any) -> None:
    """Zoom sends bursts (130 events in a minute is ordinary): valid ones neither count nor wait,
    not even from an address over its limit of failed signatures."""
    client = make_app(**limited(ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET)).test_client()
    assert [client.post("/webhooks/zoom", **signed_validation()).status_code for _ in range(10)] == [200] * 10
    for _ in range(4):
        client.post("/webhooks/zoom", json={"event": "x"})
    assert client.post("/webhooks/zoom", json={"event": "x"}).status_code == 429
    assert client.post("/webhooks/zoom", **signed_validation()).status_code == 200


def test_api_is_limited_per_token(app: Flask, api: Any) -> None:
    api.as_user("admin")
    for _ in range(3):
        assert api.get("/api/v1/homes").status_code == 200
    assert_429(api.get("/api/v1/homes"), "/api/v1/homes", json=True)
    assert_429(api.post("/api/v1/homes", json={"name": "x"}), "/api/v1/homes", json=True)
    api.as_user("lead")  # a new token, same address: its own counter
    assert api.get("/api/v1/homes").status_code == 200


def test_api_without_token_is_limited_per_address(app: Flask) -> None:
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/homes").status_code == 401
    assert_429(client.get("/api/v1/homes"), "/api/v1/homes", json=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_random_bearer_tokens_are_counted_per_address(app: Flask, api: Any) -> None:
    """A new made-up bearer every time is a failed look-up each time: the address is limited."""
    client = app.test_client()
    for n in range(3):
        response = client.get("/api/v1/homes", headers=bearer(f"guess-{n}-{secrets.token_hex(8)}"))
        assert response.status_code == 401
    for n in range(3, 6):
        response, took = timed_get(client, "/api/v1/homes", headers=bearer(f"guess-{n}"))
        assert response.status_code == 401 and took >= DELAY
    assert_429(client.get("/api/v1/homes", headers=bearer("guess-6")), "/api/v1/homes", json=True)
    # A good token from the same address is refused too; another address is not affected.
    api.as_user("admin")
    assert_429(api.get("/api/v1/homes"), "/api/v1/homes", json=True)
    assert api.get("/api/v1/homes", environ_base={"REMOTE_ADDR": "192.0.2.9"}).status_code == 200


def test_missed_links_and_bad_bearers_share_one_count(app: Flask, api: Any) -> None:
    client = app.test_client()
    for n in range(3):
        assert client.get(unknown(n)).status_code == 404
        assert client.get("/api/v1/homes", headers=bearer(f"guess-{n}")).status_code == 401
    assert_429(client.get(unknown(9)), unknown(9), json=False)
    assert_429(client.get("/api/v1/homes", headers=bearer("guess-9")), "/api/v1/homes", json=True)


def test_staff_pages_are_not_limited(app: Flask) -> None:
    client = app.test_client()
    for _ in range(10):
        assert client.get("/login").status_code == 200
        assert client.get("/no-such-page").status_code == 404


def test_switched_off(make_app: Any) -> None:
    app = make_app(**limited(RATELIMIT_ENABLED=False))
    client = app.test_client()
    assert get_limiter(app) is None
    for n in range(10):
        response = client.get(unknown(n))
        assert response.status_code == 404 and not held_back(response)


@pytest.mark.parametrize(("key", "value"), [
    ("RATELIMIT_API", "lots"),
    ("RATELIMIT_TOKEN_SLOW", "10 per fortnight"),
    ("RATELIMIT_TOKEN_DELAY_SECONDS", -1),
    ("RATELIMIT_TOKEN_DELAY_SECONDS", 60),
    ("RATELIMIT_TOKEN_DELAY_SECONDS", "1"),
])
def test_bad_settings_are_refused(make_app: Any, key: str, value: Any) -> None:
    with pytest.raises(ValueError, match=key):
        make_app(**limited(**{key: value}))


def test_storage_failure_does_not_break_pages(make_app: Any) -> None:
    """With the shared storage down, limits count in memory instead of answering 500."""
    app = make_app(**limited(RATELIMIT_STORAGE_URI="redis://127.0.0.1:1"))
    client = app.test_client()
    statuses = [client.get(unknown(n)).status_code for n in range(8)]
    assert 500 not in statuses
    assert statuses[-1] == 429


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


def test_workers_share_counters_through_redis(make_app: Any) -> None:
    """Two apps (as two gunicorn workers) with one Redis see each other's counts."""
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379")
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    config = limited(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379", ZOOM_WEBHOOK_SECRET=WEBHOOK_SECRET,
                     RATELIMIT_KEY_PREFIX=f"facilitator-test-{secrets.token_hex(6)}")
    first, second = make_app(**config).test_client(), make_app(**config).test_client()
    for client in (first, second, first):
        assert client.post("/webhooks/zoom", json={}).status_code == 401
    assert second.post("/webhooks/zoom", json={}).status_code == 429
