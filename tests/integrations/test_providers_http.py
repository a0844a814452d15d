"""The shared HTTP client (retries, Retry-After, status check) and the token cache."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from integrations.http import (
    JsonHttpClient,
    NotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    Rejected,
    parse_retry_after,
)
from integrations.tokens import CachedToken, MemoryTokenStore, token_key
from tests.support.clock import FakeTime

URL = "https://api.example.test/v1/things"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def client(fake_time: FakeTime) -> JsonHttpClient:
    return JsonHttpClient(service="Example", sleep=fake_time.sleep, clock=fake_time.clock)


# --- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        ("0", NOW),
        ("Wed, 11 Mar 2026 00:00:00 GMT", datetime(2026, 3, 11, tzinfo=UTC)),
        ("2020-05-31T00:00:00Z", datetime(2020, 5, 31, tzinfo=UTC)),
        ("2026-03-10T14:00:00+02:00", datetime(2026, 3, 10, 12, 0, tzinfo=UTC)),
        (None, None),
        ("", None),
        ("soon", None),
    ],
)
def test_parse_retry_after(value, expected):
    parsed = parse_retry_after(value, NOW)

    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


# --- retries -------------------------------------------------------------------------------


def test_every_call_carries_the_timeout(mocked, fake_time):
    mocked.get(URL, json={})
    client = JsonHttpClient(timeout=(2.0, 7.0), sleep=fake_time.sleep)

    client.request("GET", URL)

    assert mocked.calls[0].request.req_kwargs["timeout"] == (2.0, 7.0)


def test_injected_session_is_used(mocked):
    session = requests.Session()
    session.headers["User-Agent"] = "Facilitator-test"
    mocked.get(URL, json={})

    JsonHttpClient(session=session).request("GET", URL)

    assert mocked.calls[0].request.headers["User-Agent"] == "Facilitator-test"


def test_server_error_then_success(mocked, client, fake_time):
    mocked.get(URL, status=500)
    mocked.get(URL, json={"ok": True})

    assert client.json("GET", URL) == {"ok": True}
    assert len(fake_time.sleeps) == 1
    assert 0.5 <= fake_time.sleeps[0] <= 1.0


def test_retries_are_bounded_with_growing_backoff(mocked, client, fake_time):
    for _ in range(3):
        mocked.get(URL, status=502)

    with pytest.raises(ProviderUnavailable) as caught:
        client.request("GET", URL)

    assert caught.value.status == 502
    assert len(fake_time.sleeps) == 2
    assert 0.5 <= fake_time.sleeps[0] <= 1.0 and 1.0 <= fake_time.sleeps[1] <= 1.5


def test_retry_count_is_configurable(mocked, fake_time):
    mocked.get(URL, status=500)
    client = JsonHttpClient(retries=0, sleep=fake_time.sleep)

    with pytest.raises(ProviderUnavailable):
        client.request("GET", URL)
    assert fake_time.sleeps == []


def test_refused_connection_on_post_is_safe_to_retry(mocked, client, fake_time):
    refused = requests.ConnectionError(
        MaxRetryError(None, URL, NewConnectionError(None, "Connection refused"))
    )
    mocked.post(URL, body=refused)
    mocked.post(URL, json={}, status=201)

    client.request("POST", URL, (201,), json={})

    assert len(fake_time.sleeps) == 1


def test_read_timeout_on_post_is_not_retried(mocked, client, fake_time):
    mocked.post(URL, body=requests.ReadTimeout())

    with pytest.raises(ProviderUnavailable) as caught:
        client.request("POST", URL, (201,), json={})

    assert caught.value.maybe_sent is True
    assert fake_time.sleeps == []


def test_read_timeout_on_idempotent_post_is_retried(mocked, client):
    mocked.post(URL, body=requests.ReadTimeout())
    mocked.post(URL, json={})

    client.request("POST", URL, idempotent=True)


def test_read_timeout_on_get_is_retried(mocked, client):
    mocked.get(URL, body=requests.ReadTimeout())
    mocked.get(URL, json={})

    client.request("GET", URL)


def test_429_with_http_date_in_the_near_future_waits_inline(mocked, client, fake_time):
    mocked.get(URL, status=429, headers={"Retry-After": "Tue, 10 Mar 2026 12:00:02 GMT"})
    mocked.get(URL, json={})

    client.request("GET", URL)

    assert fake_time.sleeps == [2.0]


def test_429_with_far_http_date_raises_rate_limited(mocked, client, fake_time):
    mocked.get(URL, status=429, headers={"Retry-After": "Tue, 10 Mar 2026 13:00:00 GMT"})

    with pytest.raises(RateLimited) as caught:
        client.request("GET", URL)

    assert caught.value.retry_at == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert "13:00 UTC" in caught.value.message
    assert fake_time.sleeps == []


def test_429_without_retry_after_backs_off_then_succeeds(mocked, client, fake_time):
    mocked.get(URL, status=429)
    mocked.get(URL, json={})

    client.request("GET", URL)

    assert len(fake_time.sleeps) == 1


def test_429_without_retry_after_that_persists_raises_without_retry_at(mocked, client):
    for _ in range(3):
        mocked.get(URL, status=429)

    with pytest.raises(RateLimited) as caught:
        client.request("GET", URL)

    assert caught.value.retry_at is None


def test_inline_waits_stop_at_the_budget(mocked, client, fake_time):
    mocked.get(URL, status=429, headers={"Retry-After": "2"})
    mocked.get(URL, status=429, headers={"Retry-After": "2"})

    with pytest.raises(RateLimited) as caught:
        client.request("GET", URL)

    assert fake_time.sleeps == [2.0]
    assert caught.value.retry_at == NOW + timedelta(seconds=4)


def test_503_with_long_retry_after_is_rate_limited(mocked, client):
    mocked.get(URL, status=503, headers={"Retry-After": "600"})

    with pytest.raises(RateLimited) as caught:
        client.request("GET", URL)

    assert caught.value.retry_at == NOW + timedelta(minutes=10)


def test_statuses_map_to_errors(mocked, client):
    mocked.get(URL, json={"code": 3001, "message": "Meeting is not found."}, status=404)
    mocked.get(URL, json={"error": {"code": "Forbidden", "message": "Nope."}}, status=403)
    mocked.get(URL, json={}, status=200)

    with pytest.raises(NotFound):
        client.request("GET", URL)
    with pytest.raises(Rejected, match="Nope."):
        client.request("GET", URL)
    with pytest.raises(ProviderError, match="unexpectedly"):
        client.request("GET", URL, (204,))


def test_unreadable_body_is_a_provider_error(mocked, client):
    mocked.get(URL, body="<html>proxy page</html>")

    with pytest.raises(ProviderError, match="could not read"):
        client.json("GET", URL)


# --- tokens --------------------------------------------------------------------------------


def test_token_key_changes_with_the_secret_and_hides_it():
    key = token_key("zoom", "https://zoom.us/oauth/token", "acct", "client", "secret-1")

    assert key != token_key("zoom", "https://zoom.us/oauth/token", "acct", "client", "secret-2")
    assert key != token_key("zoom", "https://zoom.us/oauth/token", "acct2", "client", "secret-1")
    assert "secret-1" not in key and key.startswith("zoom:")


def counting_fetch(fake_time: FakeTime, lifetime: int = 3600):
    fetched: list[str] = []

    def fetch() -> tuple[str, datetime]:
        fetched.append(f"token-{len(fetched) + 1}")
        return fetched[-1], fake_time.now + timedelta(seconds=lifetime)

    return fetch, fetched


def test_cached_token_is_reused_and_renewed_early(fake_time):
    fetch, fetched = counting_fetch(fake_time)
    token = CachedToken(MemoryTokenStore(), "k", fetch, clock=fake_time.clock)

    assert token.get() == token.get() == "token-1"
    fake_time.now += timedelta(seconds=3539)
    assert token.get() == "token-1"
    fake_time.now += timedelta(seconds=2)
    assert token.get() == "token-2"


def test_replace_keeps_a_token_another_worker_already_renewed(fake_time):
    store = MemoryTokenStore()
    fetch, fetched = counting_fetch(fake_time)
    token = CachedToken(store, "k", fetch, clock=fake_time.clock)
    token.get()
    store.set("k", "renewed-elsewhere", NOW + timedelta(hours=1))

    assert token.replace("token-1") == "renewed-elsewhere"
    assert token.replace("renewed-elsewhere") == "token-2"


def test_concurrent_callers_fetch_one_token(fake_time):
    release = threading.Event()
    fetched: list[int] = []

    def slow_fetch() -> tuple[str, datetime]:
        fetched.append(1)
        release.wait(timeout=5)
        return "shared", NOW + timedelta(hours=1)

    token = CachedToken(MemoryTokenStore(), "k-concurrent", slow_fetch, clock=fake_time.clock)
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(token.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(timeout=5)

    assert results == ["shared"] * 8
    assert len(fetched) == 1
