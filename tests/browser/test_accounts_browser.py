"""In Chromium: a facilitator whose role needs two-step sign-in sets it up, then signs in with a code.

Every page on the way is checked with axe-core (no serious or critical violations).
"""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser import conftest as browser_support
from tests.browser.conftest import ARTIFACTS, LiveServer, serious_accessibility_problems
from tests.support.factories import PASSWORD, Factory
from tests.support.mfa import current_code

pytestmark = pytest.mark.browser

@pytest.fixture
def tab(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from browser_support._page(browser, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def live(make_app: Any) -> Iterator[LiveServer]:
    app = make_app(MFA_REQUIRED_ROLES="facilitator")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with app.app_context():
            yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)


def checked(page: Any, name: str) -> None:
    """No serious accessibility problem; a screenshot when FACILITATOR_SCREENSHOTS is set."""
    if os.environ.get("FACILITATOR_SCREENSHOTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"accounts-{name}.png"), full_page=True)
    assert serious_accessibility_problems(page) == [], name


def password_step(page: Any, live: LiveServer, email: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_set_up_two_step_sign_in_then_sign_in_with_a_code(live, tab):
    page = tab
    user = Factory(live.app).user("facilitator", name="Isla Fraser")
    password_step(page, live, user.email)
    page.wait_for_url(f"{live.url}/account/two-factor")
    assert page.get_by_text("Your role needs two-step sign-in").is_visible()
    checked(page, "setup")

    key = page.locator("#setup-key").inner_text().replace(" ", "")
    secret = base64.b32decode(key + "=" * (-len(key) % 8))
    page.get_by_label("Code from your app").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator("#code-error")).to_be_visible()
    checked(page, "setup-error")
    page.get_by_label("Code from your app").fill(current_code(secret))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.wait_for_url(f"{live.url}/account/two-factor/recovery-codes")
    assert page.locator(".recovery-codes li").count() == 10
    checked(page, "recovery-codes")

    page.get_by_role("link", name="I have saved my codes").click()
    page.wait_for_url(f"{live.url}/")
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    checked(page, "account")

    page.get_by_role("button", name="Sign out", exact=True).click()
    password_step(page, live, user.email)
    page.wait_for_url(f"{live.url}/login/two-factor")
    checked(page, "code-step")
    page.get_by_label("Code").fill(current_code(secret, 1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live.url}/")
    assert page.get_by_role("heading", name="Welcome, Isla Fraser").is_visible()


def test_forgotten_password_pages(live, tab):
    page = tab
    page.goto(f"{live.url}/login")
    page.get_by_role("link", name="Forgotten your password?").click()
    checked(page, "forgot")
    page.get_by_label("Email").fill("someone@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    checked(page, "forgot-sent")
    page.goto(f"{live.url}/password/reset?token=made-up")
    assert page.get_by_role("heading", name="This link has expired").is_visible()
    assert page.url == f"{live.url}/password/reset"
    checked(page, "reset-expired")
