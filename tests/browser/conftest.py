"""Browser tests: the app served on loopback, driven by Debian's Chromium through Playwright.

No browser is downloaded: Playwright launches the system binary (``/usr/bin/chromium``, or
``FACILITATOR_CHROMIUM``). A missing Chromium fails the run rather than skipping it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("FACILITATOR_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # No name is ever looked up: a page that tries to reach another host fails at once, offline.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
IPAD = {"viewport": {"width": 1024, "height": 768}, "has_touch": True, "is_mobile": True,
        "device_scale_factor": 2,
        "user_agent": "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                      "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.real_commits)  # the server answers from a thread of its own


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]


@dataclass
class LiveServer:
    app: Flask
    url: str


def read_whole_bodies(app: Flask) -> Callable[..., list[bytes]]:
    """The app as WSGI, each answer's body read and closed before a byte is sent.

    Werkzeug's threaded server does not close a streamed body (a static file) when the browser
    drops the request as it moves on, which leaves the file open (a ResourceWarning failing a
    later test). Pages and static files here are small, so reading them whole costs nothing."""
    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()
    return wsgi


@contextmanager
def serving(app: Flask) -> Iterator[LiveServer]:
    """Serve ``app`` on a free loopback port in a thread, inside an app context of it."""
    server = make_server("127.0.0.1", 0, read_whole_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with app.app_context():
            yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(make_app: Any) -> Iterator[LiveServer]:
    with serving(make_app()) as live:
        yield live


@pytest.fixture
def make_live_server(make_app: Any) -> Iterator[Callable[..., LiveServer]]:
    """``make_live_server(**config)``: the app built with extra settings, served on loopback.

    ``PUBLIC_BASE_URL`` is set to the server's own address, so links in emails lead back to it.
    """
    with ExitStack() as stack:
        def make(**config: Any) -> LiveServer:
            live = stack.enter_context(serving(make_app(**config)))
            live.app.config["PUBLIC_BASE_URL"] = live.url
            return live

        yield make


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Artefacts:
    """What a failed test leaves in ``test-artifacts/``: a full-page screenshot of every page it opened.

    ``page`` is saved as ``<test>.png``, any other page as ``<test>-<label>.png``. ``step`` keeps a
    screenshot of a page as it was at a named point of a longer story (in memory; written only if
    the test fails, as ``<test>-step-NN-<label>.png``).
    """

    def __init__(self, browser: Browser, test_name: str) -> None:
        self.browser = browser
        self.name = test_name
        self.pages: list[tuple[str, Page]] = []
        self.steps: list[tuple[str, bytes]] = []

    def open(self, label: str = "page", **context_args: Any) -> Page:
        context = self.browser.new_context(**context_args)
        page = context.new_page()
        page.set_default_timeout(10_000)
        self.pages.append((label, page))
        return page

    def step(self, page: Page, label: str) -> None:
        self.steps.append((label, page.screenshot(full_page=True)))

    def save(self) -> list[Path]:
        ARTIFACTS.mkdir(exist_ok=True)
        saved = []
        for number, (label, png) in enumerate(self.steps, start=1):
            path = ARTIFACTS / f"{self.name}-step-{number:02d}-{label}.png"
            path.write_bytes(png)
            saved.append(path)
        for label, page in self.pages:
            path = ARTIFACTS / (f"{self.name}.png" if label == "page" else f"{self.name}-{label}.png")
            try:
                page.screenshot(path=str(path), full_page=True)
            except PlaywrightError:  # a page the test closed or crashed: nothing to photograph
                continue
            saved.append(path)
        return saved

    def close(self) -> None:
        for _, page in self.pages:
            page.context.close()


@pytest.fixture
def artefacts(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Artefacts]:
    """Opens the test's pages (``artefacts.open(label, **context_args)``); screenshots them on failure."""
    recorder = Artefacts(browser, request.node.name)
    yield recorder
    failed = getattr(request.node, "rep_call", None)
    try:
        if failed is not None and failed.failed:
            recorder.save()
    finally:
        recorder.close()


def _page(browser: Browser, request: pytest.FixtureRequest, **context_args: Any) -> Iterator[Page]:
    recorder = Artefacts(browser, request.node.name)
    yield recorder.open(**context_args)
    failed = getattr(request.node, "rep_call", None)
    try:
        if failed is not None and failed.failed:
            recorder.save()
    finally:
        recorder.close()


@pytest.fixture
def page(artefacts: Artefacts) -> Page:
    return artefacts.open("page", viewport={"width": 1280, "height": 900})


@pytest.fixture
def ipad_page(artefacts: Artefacts) -> Page:
    return artefacts.open("ipad", **IPAD)


def sign_in(page: Page, live: LiveServer, email: str, password: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live.url}/")


def serious_accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the current page."""
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("load")
    try:
        results = Axe().run(page)
    except PlaywrightError:
        # A click's navigation can land between the load wait and axe's start; audit the new page.
        page.wait_for_load_state("load")
        results = Axe().run(page)
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} elements)"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
