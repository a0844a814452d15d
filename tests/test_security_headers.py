"""Every response carries the security headers: every GET route, as everyone, whatever the status.

The routes come from the URL map, so pages added later are covered without touching this file.
Each is requested with real ids and tokens and with unknown ones, anonymously and as each role
(the API with each role's bearer token), which between them give 200s, redirects, 401s, 403s and
404s, in HTML and JSON; a 405 and a 500 are made on purpose.

The crawl is done once per module and process (``every_answer``): by whichever of the two tests
that read it runs first, in that test (with its own app, database and calendar checks), and the
other test reads the same answers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import Headers

from facilitator.access import PUBLIC, allow
from facilitator.security import CSP, HSTS, PERMISSIONS_POLICY
from tests.support.crawl import ROLES, build_world, get_urls, signed_in, world_config

TOKEN_PREFIXES = ("/j/", "/h/", "/feeds/")


@pytest.fixture
def app(make_app: Any) -> Any:
    app = make_app(**world_config())
    with app.app_context():
        yield app


def assert_headers(response: Any, url: str, https: bool = False) -> None:
    headers = response.headers
    where = f"{response.status_code} {url}"
    assert headers.get("Content-Security-Policy") == CSP, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Permissions-Policy") == PERMISSIONS_POLICY, where
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    referrer = headers.get("Referrer-Policy")
    if url.startswith(TOKEN_PREFIXES):
        assert referrer == "no-referrer", where
        cache = headers.get("Cache-Control", "")
        assert "no-store" in cache or "private" in cache, where
    else:
        assert referrer in ("same-origin", "no-referrer", "strict-origin-when-cross-origin"), where
    if https:
        assert headers.get("Strict-Transport-Security") == HSTS, where
    else:
        assert "Strict-Transport-Security" not in headers, where


def test_csp_is_strict() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP and "*" not in CSP


@dataclass(frozen=True)
class Answer:
    """What one GET answered: enough for the header checks and, for HTML, the page."""

    who: str
    url: str
    status_code: int
    mimetype: str
    headers: Headers
    html: str | None


@pytest.fixture(scope="module")
def answers() -> list[Answer]:
    """Filled by ``every_answer`` in the first test of this module that asks for it."""
    return []


def every_answer(app: Flask, make: Any, cache: list[Answer]) -> list[Answer]:
    """Every GET route (with real and unknown arguments) anonymously and as each role, the API
    with each role's bearer token. Kept only once the whole crawl is done."""
    if cache:
        return cache
    world = build_world(make)
    clients = {"anonymous": app.test_client()}
    clients.update({role: signed_in(app, make, world.users[role]) for role in ROLES})
    found: list[Answer] = []
    for _rule, url in get_urls(app, world):
        for who, client in clients.items():
            headers = {}
            if url.startswith("/api/") and who != "anonymous":
                headers["Authorization"] = f"Bearer {world.api_tokens[who]}"
            response = client.get(url, headers=headers)
            response.close()
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else None
            found.append(Answer(who, url, response.status_code, response.mimetype,
                                Headers(response.headers), html))
    cache.extend(found)
    return cache


def test_every_get_route_as_everyone(app: Flask, make: Any, answers: list[Answer]) -> None:
    statuses: Counter[int] = Counter()
    kinds: Counter[str] = Counter()
    problems: list[str] = []
    seen = every_answer(app, make, answers)
    urls = {answer.url for answer in seen}
    assert len(urls) > 20, "the URL map looks empty"
    for answer in seen:
        who, url = answer.who, answer.url
        statuses[answer.status_code] += 1
        kinds[answer.mimetype] += 1
        if answer.status_code >= 500:
            problems.append(f"{who} GET {url}: {answer.status_code}")
        try:
            assert_headers(answer, url)
        except AssertionError as exc:
            problems.append(f"{who} GET {url}: header {exc}")
    assert not problems, "\n".join(problems)
    for status in (200, 302, 401, 403, 404):
        assert statuses[status], f"no {status} among {dict(statuses)}"
    assert kinds["application/json"] and kinds["text/html"]
    if any(url.startswith("/feeds/") for url in urls):
        assert kinds["text/calendar"]


def test_no_inline_script_or_style_on_any_page(app: Flask, make: Any, answers: list[Answer]) -> None:
    """The CSP forbids inline script and style, so a page using them would break in browsers."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle\s*=|\son[a-z]+\s*=\s*[\"']"
                        r"|javascript:", re.IGNORECASE)
    problems: set[str] = set()
    pages = [a for a in every_answer(app, make, answers) if not a.url.startswith(("/api/", "/static/"))]
    assert {a.who for a in pages} == {"anonymous", *ROLES}
    for answer in pages:
        if answer.html is not None:
            match = inline.search(answer.html)
            if match:
                problems.add(f"{answer.url}: inline {match.group(0)!r} is refused by the CSP")
    assert not problems, "\n".join(sorted(problems))


def test_https_base_url_adds_hsts_everywhere(make_app: Any) -> None:
    app = make_app(**world_config(PUBLIC_BASE_URL="https://psl.example.org"))
    client = app.test_client()
    for url in ("/login", "/healthz", "/api/openapi.json", "/api/v1/homes", "/no-such-page",
                "/j/unknownTokenXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "/static/css/app.css"):
        response = client.get(url, base_url="https://psl.example.org")
        response.close()
        assert response.status_code < 500
        assert_headers(response, url, https=True)


@pytest.mark.fresh_app
def test_error_responses_carry_the_headers(make_app: Any) -> None:
    app = make_app(**world_config())

    @allow(PUBLIC)
    def boom() -> Any:
        raise RuntimeError("deliberate failure for the header test")

    app.add_url_rule("/boom-for-header-test", "boom_for_header_test", boom)
    client = app.test_client()
    cases = [
        (client.get("/boom-for-header-test"), 500, "/boom-for-header-test"),
        (client.get("/boom-for-header-test", headers={"Accept": "application/json"}), 500,
         "/boom-for-header-test"),
        (client.delete("/login"), 405, "/login"),
        (client.post("/api/v1/homes", json={}), 401, "/api/v1/homes"),
        (client.get("/api/v1/no-such-thing"), 404, "/api/v1/no-such-thing"),
        (client.post("/login", data={"email": "x"}), 400, "/login"),
    ]
    for response, status, url in cases:
        assert response.status_code == status, url
        assert_headers(response, url)
