"""The measured pages: one small entry each, and the statement counter.

Each entry turns the seeded :class:`~bench.seed.World` and a request number into one request (a
:class:`Call`), acting as the person who would make it: a lead's signed-in session, an API token,
a contact's link. An entry may make unmeasured requests first (saving a register opens the form
for its CSRF token and version, as a browser does). To point an entry at a different route, edit
its ``Call``; the benchmark (``bench/run.py``) and the N+1 test (``tests/test_n_plus_one.py``)
both read this table.

Statements are counted with SQLAlchemy's ``before_cursor_execute`` event on every engine of the
process: every statement
sent to the database (an executemany counts once), leaving out transaction control (BEGIN,
SAVEPOINT), which SQLite sends as statements and PostgreSQL's driver does not.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from bench.seed import GroupInfo, Staff, World

IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.4 Mobile/15E148 Safari/604.1")
BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0 Safari/537.36")
SESSION_COOKIE = "facilitator"
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")


@dataclass
class Call:
    method: str
    path: str
    expect: int = 200
    user: Staff | None = None  # signed in through the session cookie
    token: str | None = None  # an API bearer token
    form: dict[str, str] | None = None
    headers: dict[str, str] = field(default_factory=lambda: {"User-Agent": BROWSER})


@dataclass
class Result:
    status: int
    body: bytes
    headers: dict[str, str]


class StatementCounter:
    """Counts the statements the app sends while ``counting()`` is active."""

    def __init__(self) -> None:
        self.active = False
        self.count = 0
        self.statements: list[str] = []
        event.listen(Engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.active and not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            self.count += 1
            self.statements.append(statement)

    @contextmanager
    def counting(self) -> Iterator[StatementCounter]:
        self.count, self.statements, self.active = 0, [], True
        try:
            yield self
        finally:
            self.active = False

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._on_execute)


class AppClient:
    """Sends calls to the app in-process (Flask's test client), one cookie jar per user."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._clients: dict[int | None, Any] = {}
        self._serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]

    def _client(self, user: Staff | None) -> Any:
        key = user.id if user else None
        if key not in self._clients:
            client = self.app.test_client()
            if user is not None:
                client.set_cookie(SESSION_COOKIE, self._serializer.dumps({"sid": user.sid}))
            self._clients[key] = client
        return self._clients[key]

    def send(self, call: Call) -> Result:
        headers = dict(call.headers)
        if call.token:
            headers["Authorization"] = f"Bearer {call.token}"
        response = self._client(call.user).open(call.path, method=call.method, headers=headers,
                                                data=call.form)
        try:
            body = response.get_data()
        finally:
            response.close()
        return Result(response.status_code, body, dict(response.headers))


def session_cookie(app: Flask, user: Staff) -> str:
    """The signed cookie a signed-in browser of ``user`` sends (for clients other than the test one)."""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return f"{SESSION_COOKIE}={serializer.dumps({'sid': user.sid})}"


@dataclass
class Visit:
    world: World
    client: AppClient
    n: int

    def fetch(self, call: Call) -> Result:
        """An unmeasured request made on the way (opening a form before saving it)."""
        result = self.client.send(call)
        if result.status != call.expect:
            raise AssertionError(f"{call.method} {call.path} answered {result.status}, "
                                 f"expected {call.expect}")
        return result


PageFn = Callable[[Visit], Call]
PAGES: dict[str, PageFn] = {}


def page(name: str) -> Callable[[PageFn], PageFn]:
    def register(fn: PageFn) -> PageFn:
        PAGES[name] = fn
        return fn

    return register


def bench_group(world: World) -> GroupInfo:
    """The group whose facilitator's pages are measured: the first (a full cohort of homes)."""
    return world.groups[0]


def lead(world: World) -> Staff:
    return world.leads[0]


# The entries ------------------------------------------------------------------------------------

@page("dashboard")
def dashboard(v: Visit) -> Call:
    """The leads' dashboard, all groups."""
    return Call("GET", "/reports/attendance", user=lead(v.world))


@page("engagement_all")
def engagement_all(v: Visit) -> Call:
    return Call("GET", "/api/v1/engagement", token=lead(v.world).api_token)


@page("engagement_group")
def engagement_group(v: Visit) -> Call:
    group = v.world.groups[v.n % len(v.world.groups)]
    return Call("GET", f"/api/v1/engagement?group_id={group.id}", token=lead(v.world).api_token)


@page("progress_all")
def progress_all(v: Visit) -> Call:
    """The lead's self-assessment grid: every home × every domain, latest rating and change."""
    return Call("GET", "/progress", user=lead(v.world))


@page("actions_all")
def actions_all(v: Visit) -> Call:
    """The lead's page of every home's action plan, most overdue first: a page of homes."""
    return Call("GET", "/reports/actions?sort=overdue&dir=desc", user=lead(v.world))


def report_period(world: World) -> str:
    """The programme report's query: the last quarter to the bench's today."""
    today = date.fromisoformat(world.now[:10])
    return f"from={today - timedelta(days=91)}&to={today}"


@page("programme_report")
def programme_report(v: Visit) -> Call:
    """The lead's programme report over the last quarter, every group (issue 20)."""
    return Call("GET", f"/reports/programme?{report_period(v.world)}", user=lead(v.world))


@page("programme_report_pdf")
def programme_report_pdf(v: Visit) -> Call:
    """The same report as the PDF a lead takes to a board (WeasyPrint)."""
    return Call("GET", f"/reports/programme.pdf?{report_period(v.world)}", user=lead(v.world))


@page("questionnaire_results")
def questionnaire_results(v: Visit) -> Call:
    """A post round's results over the API: counts per answer, small numbers suppressed."""
    return Call("GET", f"/api/v1/questionnaire-rounds/{v.world.questionnaire_round_id}/results",
                token=lead(v.world).api_token)


@page("csv")
def csv(v: Visit) -> Call:
    """The attendance CSV of everything, streamed."""
    return Call("GET", "/reports/attendance.csv", user=lead(v.world))


@page("feed")
def feed(v: Visit) -> Call:
    """A calendar app polling a home's feed (steady state: the link's "last used" is an hour fresh)."""
    return Call("GET", f"/feeds/{v.world.contact_tokens[0]}.ics",
                headers={"User-Agent": "Google-Calendar-Importer"})


@page("join")
def join(v: Visit) -> Call:
    """A contact taps their join link while the session is open: recorded, then 303 to Zoom."""
    link = v.world.join_links[v.n % len(v.world.join_links)]
    return Call("GET", f"/j/{link.token}", expect=303, headers={"User-Agent": IPAD})


@page("assessment_pack_pdf")
def assessment_pack_pdf(v: Visit) -> Call:
    """A facilitator prints a home's tailored self-assessment pack (a PDF rendered by WeasyPrint)."""
    group = bench_group(v.world)
    home_id = group.home_ids[v.n % len(group.home_ids)]
    return Call("GET", f"/homes/{home_id}/assessment-pack.pdf", user=facilitator_of(v.world, group))


@page("assessment_page")
def assessment_page(v: Visit) -> Call:
    """A contact opens their home's self-assessment on the home's iPad (its third round open)."""
    return Call("GET", f"/h/{v.world.home_link}/assessment", headers={"User-Agent": IPAD})


def register_path(group: GroupInfo) -> str:
    """Today's register of the group: the session in progress."""
    return f"/sessions/{group.current_session_id}/register"


def facilitator_of(world: World, group: GroupInfo) -> Staff:
    return world.facilitator(group.facilitator_ids[0])


@page("register_open")
def register_open(v: Visit) -> Call:
    group = bench_group(v.world)
    return Call("GET", register_path(group), user=facilitator_of(v.world, group))


_HIDDEN = re.compile(r'<input\b[^>]*\bname="(csrf_token|version|rows-\d+-home_id)"[^>]*>')
_VALUE = re.compile(r'\bvalue="([^"]*)"')


def form_fields(html: str) -> dict[str, str]:
    """The register form's hidden fields: CSRF token, version and each line's home."""
    fields: dict[str, str] = {}
    for match in _HIDDEN.finditer(html):
        value = _VALUE.search(match.group(0))
        fields.setdefault(match.group(1), value.group(1) if value else "")
    return fields


def register_form(hidden: dict[str, str], n: int) -> dict[str, str]:
    """Every line filled in, alternating between two registers so each save changes every line."""
    status, staff, engagement, senior = (("present", "3", "2", "yes") if n % 2 == 0
                                         else ("late", "2", "3", "no"))
    form = {"csrf_token": hidden["csrf_token"], "version": hidden["version"]}
    for name, value in hidden.items():
        if not name.startswith("rows-"):
            continue
        prefix = name[: -len("home_id")]
        form.update({name: value, f"{prefix}status": status, f"{prefix}staff_count": staff,
                     f"{prefix}engagement": engagement, f"{prefix}senior_present": senior,
                     f"{prefix}comment": f"Saved by the benchmark ({n})."})
    return form


@page("register_save")
def register_save(v: Visit) -> Call:
    """The facilitator saves today's register (every home's line), as the form posts it."""
    group = bench_group(v.world)
    user = facilitator_of(v.world, group)
    opened = v.fetch(Call("GET", register_path(group), user=user))
    hidden = form_fields(opened.body.decode())
    return Call("POST", register_path(group), expect=302, user=user, form=register_form(hidden, v.n))


@page("facilitator_home")
def facilitator_home(v: Visit) -> Call:
    group = bench_group(v.world)
    return Call("GET", "/", user=facilitator_of(v.world, group))


@page("calendar")
def calendar(v: Visit) -> Call:
    """The facilitator's month of sessions in all their groups, clashes among them worked out."""
    group = bench_group(v.world)
    return Call("GET", "/calendar?view=month", user=facilitator_of(v.world, group))


# Measuring --------------------------------------------------------------------------------------

@dataclass
class PageFigures:
    p50_ms: float
    p95_ms: float
    statements: int
    samples: list[float] = field(default_factory=list, repr=False)
    statement_counts: list[int] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, float | int]:
        return {"p50_ms": self.p50_ms, "p95_ms": self.p95_ms, "statements": self.statements}


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by the nearest-rank method (p95 of 30 samples is the 29th)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(round(q * len(ordered), 9)))
    return ordered[rank - 1]


def measure(name: str, world: World, client: AppClient, counter: StatementCounter, requests: int,
            warmup: int = 2, budget: float | None = None) -> PageFigures:
    """Time ``requests`` calls of one page (after ``warmup`` unmeasured ones) and count statements.

    A page slower than ``budget`` seconds in all stops after at least 5 measured requests (it is far
    off its target anyway): the benchmark stays bounded. ``PageFigures.samples`` says how many."""
    fn = PAGES[name]
    samples: list[float] = []
    counts: list[int] = []
    began = time.perf_counter()
    for n in range(warmup + requests):
        if budget is not None and len(samples) >= 5 and time.perf_counter() - began > budget:
            break
        call = fn(Visit(world, client, n))
        with counter.counting():
            started = time.perf_counter()
            result = client.send(call)
            elapsed = (time.perf_counter() - started) * 1000
        if result.status != call.expect:
            raise AssertionError(f"{name}: {call.method} {call.path} answered {result.status}, expected "
                                 f"{call.expect}: {result.body[:300]!r}")
        if n >= warmup:
            samples.append(elapsed)
            counts.append(counter.count)
        elif n == warmup - 1:
            began = time.perf_counter()
    # The usual count: a session's "last seen" is written at most once a minute, and a link's
    # "last used" once an hour, so an odd request runs one statement more.
    usual = Counter(counts).most_common(1)[0][0]
    return PageFigures(round(statistics.median(samples), 1), round(percentile(samples, 0.95), 1), usual,
                       samples, counts)


def count_statements(name: str, world: World, client: AppClient, counter: StatementCounter,
                     n: int = 1) -> tuple[int, list[str]]:
    """The statements of one (warm) request of a page, and their text (for the N+1 test's message)."""
    fn = PAGES[name]
    for warm in range(n):
        client.send(fn(Visit(world, client, warm)))
    call = fn(Visit(world, client, n))
    with counter.counting():
        result = client.send(call)
    if result.status != call.expect:
        raise AssertionError(f"{name}: {call.path} answered {result.status}: {result.body[:300]!r}")
    return counter.count, list(counter.statements)
