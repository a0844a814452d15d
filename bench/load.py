"""``make load``: ten o'clock on a Tuesday, against gunicorn and PostgreSQL, on loopback only.

A national-scale dataset is seeded (``bench/seed.py``), the session of every group is moved to
start 30 seconds after the traffic does, and for two minutes:

- 500 virtual homes open their join links (each a different home, a contact of it, an iPad), at
  moments spread over the minute around the start, most of them close to it; one in ten taps
  its link a second time;
- 40 facilitators (one per group) open their group's register once the session has started and
  save it, every home's line, again every few seconds;
- 5 leads load the dashboard of all groups and download the attendance CSV, then pause.

Every request opens its own connection. The run stops by itself; nothing waits longer than the
request timeout. It passes when there were no 5xx answers and no connection errors, the join
links' 95th percentile is at most 200 ms, and the database then holds every join record and
every saved register exactly as sent: one join record per join answered with a redirect (same
session, contact, home, browser family), one register revision per save with the lines as
posted, and each register's lines as last saved.

    python -m bench.load                         # PostgreSQL (FACILITATOR_BENCH_DATABASE_URL or local)
    python -m bench.load --sqlite                # the embedded database instead
    python -m bench.load --small                 # seconds, for CI
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench import pages, seed, servers, traffic  # noqa: E402
from bench.seed import JoinLink, Spec, Staff, World  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
JOIN_P95_MS = 200
REQUEST_TIMEOUT = 30.0
UA_FAMILY = "Safari on iPad"  # what the app records for pages.IPAD


@dataclass(frozen=True)
class Scenario:
    spec: Spec
    duration: float = 120.0  # seconds of traffic
    lead_in: float = 30.0  # the sessions start this long after the traffic does
    spread: float = 30.0  # joins fall within this many seconds either side of the start
    homes: int = 500
    facilitators: int = 40
    leads: int = 5
    save_every: tuple[float, float] = (3.0, 6.0)  # a facilitator's pause between saves
    lead_pause: tuple[float, float] = (15.0, 30.0)
    workers: int = 3
    threads: int = 4
    lead_dashboard: bool = True  # --no-dashboard: leads only download the CSV (to isolate the rest)
    check_latency: bool = True  # --small checks correctness only: a busy CI runner's timings say little

    @classmethod
    def small(cls) -> Scenario:
        # Every tap falls within lead_in + spread = 6 s, so 7 s of traffic holds them all and a
        # few seconds of register saves and lead downloads after the start.
        return cls(Spec.at(0.05, sessions_per_group=12, future_sessions=2), duration=7.0, lead_in=3.0,
                   spread=3.0,
                   homes=20, facilitators=2, leads=1, save_every=(0.5, 1.0), lead_pause=(2.0, 3.0), workers=2,
                   threads=2, check_latency=False)


@dataclass
class Sample:
    kind: str
    status: int  # 0: the connection failed
    ms: float
    at: float


@dataclass
class Save:
    session_id: int
    version: int  # the version the save produced
    lines: dict[str, dict[str, Any]]  # home id → the tracked fields as posted


@dataclass
class Log:
    samples: list[Sample] = field(default_factory=list)
    joins: Counter[tuple[int, int, int]] = field(default_factory=Counter)  # (session, contact, home) → 303s
    saves: list[Save] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, reply: traffic.Reply | None, ms: float) -> None:
        with self.lock:
            self.samples.append(Sample(kind, reply.status if reply else 0, ms, time.time()))


class Browser:
    """One person's browser: a cookie jar and requests on fresh connections."""

    def __init__(self, port: int, log: Log, cookies: dict[str, str] | None = None,
                 agent: str = pages.BROWSER):
        self.port = port
        self.log = log
        self.cookies = dict(cookies or {})
        self.agent = agent

    def send(self, kind: str, method: str, path: str, form: dict[str, str] | None = None,
             stream: bool = False) -> traffic.Reply | None:
        headers = {"User-Agent": self.agent}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            if stream:
                result = traffic.download(self.port, path, headers)
                reply = traffic.Reply(result.status, b"", {}, result.total_ms)
            else:
                reply = traffic.request(self.port, method, path, headers, body, timeout=REQUEST_TIMEOUT)
        except OSError as exc:
            self.log.add(kind, None, (time.perf_counter() - started) * 1000)
            with self.log.lock:
                self.log.problems.append(f"{kind} {path.split('/')[1]}: connection error {exc!r}")
            return None
        self.cookies.update(reply.cookies)
        self.log.add(kind, reply, reply.elapsed_ms)
        return reply


# The people -----------------------------------------------------------------------------------------

def home_taps(world: World, scenario: Scenario, rng: random.Random) -> list[JoinLink]:
    """One contact of each of ``scenario.homes`` different homes (all groups), in turn."""
    by_home: dict[int, JoinLink] = {}
    for link in world.join_links:
        by_home.setdefault(link.home_id, link)
    homes = sorted(by_home)
    rng.shuffle(homes)
    return [by_home[h] for h in homes[:scenario.homes]]


def run_homes(port: int, links: list[JoinLink], start: float, scenario: Scenario, log: Log,
              rng: random.Random, stop_at: float) -> None:
    """Each home taps at a moment around the start (most near it); one in ten taps again."""
    taps = []
    for link in links:
        at = start + rng.triangular(-scenario.spread, scenario.spread, 0)
        taps.append((at, link))
        if rng.random() < 0.1:
            taps.append((min(at + rng.uniform(2, scenario.spread), start + scenario.spread), link))
    taps.sort(key=lambda t: t[0])
    queue = iter(taps)
    lock = threading.Lock()

    def tapper() -> None:
        browser = Browser(port, log, agent=pages.IPAD)
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            at, link = item
            delay = at - time.time()
            if delay > 0:
                time.sleep(delay)
            if time.time() > stop_at:
                return
            reply = browser.send("join", "GET", f"/j/{link.token}")
            if reply is not None and reply.status == 303:
                with log.lock:
                    log.joins[(link.session_id, link.contact_id, link.home_id)] += 1

    pool = [threading.Thread(target=tapper, daemon=True) for _ in range(min(64, max(1, len(taps))))]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=max(1.0, stop_at - time.time() + REQUEST_TIMEOUT))


def register_lines(hidden: dict[str, str], rng: random.Random) -> tuple[dict[str, str], dict[str, dict[str,
                                                                                                       Any]]]:
    """A filled-in register form and what each line should then hold."""
    form = {"csrf_token": hidden["csrf_token"], "version": hidden["version"]}
    lines: dict[str, dict[str, Any]] = {}
    for name, home_id in hidden.items():
        if not name.startswith("rows-"):
            continue
        prefix = name[: -len("home_id")]
        status = rng.choice(["present", "present", "present", "late", "left_early", "absent", "excused"])
        came = status in ("present", "late", "left_early")
        staff = rng.randint(1, 8) if came else None
        engagement = rng.randint(1, 4) if came and rng.random() < 0.9 else None
        senior = rng.choice([True, False, None])
        comment = rng.choice(["", "", "Two new staff joined.", "Manager on leave."])
        form.update({name: home_id, f"{prefix}status": status,
                     f"{prefix}staff_count": "" if staff is None else str(staff),
                     f"{prefix}engagement": "" if engagement is None else str(engagement),
                     f"{prefix}senior_present": {True: "yes", False: "no", None: ""}[senior],
                     f"{prefix}comment": comment})
        lines[home_id] = {"status": status, "staff_count": staff, "engagement": engagement,
                          "comment": comment,
                          "senior_present": senior}
    return form, lines


def run_facilitator(port: int, cookie: str, session_id: int, start: float, scenario: Scenario, log: Log,
                    rng: random.Random, stop_at: float) -> None:
    name, _, value = cookie.partition("=")
    browser = Browser(port, log, {name: value})
    browser.send("facilitator_home", "GET", "/")
    time.sleep(max(0.0, start - time.time()) + rng.uniform(0, 2))
    path = f"/sessions/{session_id}/register"
    while time.time() < stop_at:
        opened = browser.send("register_open", "GET", path)
        if opened is None or opened.status != 200:
            time.sleep(1)
            continue
        hidden = pages.form_fields(opened.body.decode())
        form, lines = register_lines(hidden, rng)
        saved = browser.send("register_save", "POST", path, form)
        if saved is not None and saved.status == 302:
            with log.lock:
                log.saves.append(Save(session_id, int(hidden["version"]) + 1, lines))
        elif saved is not None:
            with log.lock:
                log.problems.append(f"register save of session {session_id} answered {saved.status}")
        time.sleep(rng.uniform(*scenario.save_every))


def run_lead(port: int, cookie: str, scenario: Scenario, log: Log, rng: random.Random,
             stop_at: float) -> None:
    name, _, value = cookie.partition("=")
    browser = Browser(port, log, {name: value})
    time.sleep(rng.uniform(0, 5 if scenario.duration > 30 else 0.5))
    while time.time() < stop_at:
        if scenario.lead_dashboard:
            browser.send("dashboard", "GET", "/reports/attendance")
            if time.time() >= stop_at:
                break
        browser.send("csv", "GET", "/reports/attendance.csv", stream=True)
        time.sleep(rng.uniform(*scenario.lead_pause))


# Checking the database afterwards -------------------------------------------------------------------

def verify(engine: sa.Engine, world: World, log: Log, since: datetime) -> list[str]:
    """Every join answered with a redirect is stored once; every save as posted."""
    from facilitator.models import JoinRecord
    from facilitator.models.attendance import AttendanceEntry, AttendanceRegister, AttendanceRevision

    problems = []
    sessions = {g.current_session_id for g in world.groups}
    with engine.connect() as conn:
        jr = JoinRecord.__table__
        rows = conn.execute(sa.select(jr.c.session_id, jr.c.contact_id, jr.c.home_id, jr.c.user_agent_family,
                                      jr.c.in_window, jr.c.via)
                            .where(jr.c.session_id.in_(sessions), jr.c.joined_at >= since)).all()
        stored = Counter((r.session_id, r.contact_id, r.home_id) for r in rows)
        if stored != log.joins:
            missing = log.joins - stored
            extra = stored - log.joins
            problems.append(f"join records: {sum(missing.values())} missing, "
                            f"{sum(extra.values())} unexpected "
                            f"(of {sum(log.joins.values())} sent)")
        wrong = [r for r in rows if (r.user_agent_family, bool(r.in_window), r.via) != (UA_FAMILY, True,
                                                                                        "email")]
        if wrong:
            problems.append(f"join records: {len(wrong)} with the wrong browser, window or route, "
                            f"e.g. {wrong[0]}")

        reg, rev = AttendanceRegister.__table__, AttendanceRevision.__table__
        entry = AttendanceEntry.__table__
        saved_sessions = {s.session_id for s in log.saves}
        revisions = {(r.session_id, r.version): r.entries for r in conn.execute(
            sa.select(reg.c.session_id, rev.c.version, rev.c.entries).join(rev, rev.c.register_id == reg.c.id)
            .where(reg.c.session_id.in_(saved_sessions or {0})))}
        for save in log.saves:
            got = revisions.get((save.session_id, save.version))
            if got is None:
                problems.append(f"register of session {save.session_id}: no revision {save.version}")
            elif _lines(got) != save.lines:
                problems.append(f"register of session {save.session_id} version {save.version}: stored lines "
                                "differ from those posted")
        latest = {save.session_id: save for save in sorted(log.saves, key=lambda s: s.version)}
        entries: dict[int, dict[str, dict[str, Any]]] = {}
        for r in conn.execute(sa.select(entry).where(entry.c.session_id.in_(saved_sessions or {0}))):
            entries.setdefault(r.session_id, {})[str(r.home_id)] = {
                "status": r.status, "staff_count": r.staff_count, "engagement": r.engagement,
                "comment": r.comment,
                "senior_present": None if r.senior_present is None else bool(r.senior_present)}
        for session_id, save in latest.items():
            if entries.get(session_id) != save.lines:
                problems.append(f"register of session {session_id}: its lines are not those last saved")
        versions = dict(conn.execute(sa.select(reg.c.session_id, reg.c.version)
                                     .where(reg.c.session_id.in_(saved_sessions or {0}))).all())
        for session_id, save in latest.items():
            if versions.get(session_id) != save.version:
                problems.append(f"register of session {session_id}: version {versions.get(session_id)}, "
                                f"expected {save.version} after "
                                f"{sum(s.session_id == session_id for s in log.saves)} saves")
    return problems


def _lines(entries: Any) -> dict[str, dict[str, Any]]:
    data = json.loads(entries) if isinstance(entries, str) else entries
    return {home: {k: v.get(k) for k in ("status", "staff_count", "engagement", "comment", "senior_present")}
            for home, v in data.items()}


# The run --------------------------------------------------------------------------------------------

def figures(log: Log) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for kind in ("join", "register_open", "register_save", "facilitator_home", "dashboard", "csv"):
        samples = [s for s in log.samples if s.kind == kind]
        if not samples:
            continue
        times = [s.ms for s in samples]
        result[kind] = {"requests": len(samples), "p50_ms": round(statistics.median(times), 1),
                        "p95_ms": round(pages.percentile(times, 0.95), 1), "max_ms": round(max(times), 1),
                        "statuses": dict(Counter(s.status for s in samples))}
    return result


def run(scenario: Scenario, url: str, schema: str, workdir: Path, markdown: Path | None = None) -> int:
    from facilitator import create_app
    from facilitator.extensions import db
    from facilitator.supervision.crypto import new_key

    rng = random.Random(20261126)
    seed.fresh_database(url, schema)
    secret_key, notes_keys = secrets.token_urlsafe(48), new_key()
    instance = workdir / "instance-load"
    config = {"DATABASE_URL": url, "DATABASE_SCHEMA": schema, "SECRET_KEY": secret_key,
              "NOTES_KEYS": notes_keys,
              "MAIL_OUTBOX_DIR": str(instance / "outbox"), "LOG_LEVEL": "WARNING"}
    app = create_app(config, instance_path=str(instance))
    say(f"seeding {scenario.spec.homes} homes on {url.split(':')[0]} ...")
    world, seconds = seed.seed_app(app, scenario.spec)
    say(f"seeded in {seconds:.1f} s: {seed.summary(world)}")
    env = servers.app_env(url, schema, secret_key, notes_keys, instance)
    log = Log()
    with servers.start_gunicorn("bench.wsgi:app", name="load", env=env, log_dir=workdir / "logs",
                                workers=scenario.workers, threads=scenario.threads) as server:
        since = datetime.now(UTC) - timedelta(seconds=1)
        warm_up(server.port, app, world, scenario, log)
        t0 = time.time()
        start = t0 + scenario.lead_in
        move_sessions(app, world, datetime.fromtimestamp(start, UTC))
        stop_at = t0 + scenario.duration
        say(f"traffic for {scenario.duration:.0f} s against gunicorn ({scenario.workers} workers x "
            f"{scenario.threads} threads) on port {server.port}; sessions start at +{scenario.lead_in:.0f} s")
        threads = people(server.port, app, world, scenario, log, rng, start, stop_at)
        for thread in threads:
            thread.join(timeout=max(1.0, stop_at - time.time()) + 2 * REQUEST_TIMEOUT)
        stragglers = sum(t.is_alive() for t in threads)
        took = time.time() - t0
        server_log = server.log_tail(15)
    with app.app_context():
        problems = verify(db.engine, world, log, since)
        db.engine.dispose()
    if stragglers:
        problems.append(f"{stragglers} virtual users were still waiting for an answer at the end")
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    key = f"{database.lower()}{'' if scenario.lead_dashboard else '-no-dashboard'}"
    homes = len(home_taps(world, scenario, random.Random(0)))
    heading = (f"{database}, gunicorn {scenario.workers} workers x {scenario.threads} threads, "
               f"{scenario.duration:.0f} s: {homes} homes joining around the start, "
               f"{min(scenario.facilitators, len(world.groups))} facilitators "
               f"saving registers, {scenario.leads} leads loading "
               + ("the dashboard and the CSV." if scenario.lead_dashboard
                  else "the CSV only (`--no-dashboard`: the rest without the dashboard)."))
    return report(log, problems, took, server_log, scenario.check_latency, markdown, key, heading)


def warm_up(port: int, app: Any, world: World, scenario: Scenario, log: Log) -> None:
    """A running server is warm: every worker thread loads its code and connections first. The
    warm-up joins are real joins (counted and checked); their timings are left out."""
    group = world.groups[0]
    facilitator = Browser(port, Log(), dict([pages.session_cookie(app, world.facilitator(
        group.facilitator_ids[0])).split("=", 1)]))
    home = Browser(port, Log(), agent=pages.IPAD)
    for n in range(scenario.workers * scenario.threads * 2):
        link = world.join_links[n % len(world.join_links)]
        reply = home.send("warm-up", "GET", f"/j/{link.token}")
        if reply is not None and reply.status == 303:
            log.joins[(link.session_id, link.contact_id, link.home_id)] += 1
        facilitator.send("warm-up", "GET", f"/sessions/{group.current_session_id}/register")
        facilitator.send("warm-up", "GET", "/healthz")


def move_sessions(app: Any, world: World, start: datetime) -> None:
    """Every group's session in progress starts at ``start`` instead (joins are around it)."""
    from facilitator.extensions import db
    from facilitator.models import MeetingSession
    from facilitator.models.meetings import local_start_date

    table = MeetingSession.__table__
    ids = [g.current_session_id for g in world.groups]
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.id.in_(ids))
                     .values(starts_at=start, ends_at=start + timedelta(minutes=90),
                             starts_on=local_start_date(start, seed.TIMEZONE)))
        db.engine.dispose()


def people(port: int, app: Any, world: World, scenario: Scenario, log: Log, rng: random.Random, start: float,
           stop_at: float) -> list[threading.Thread]:
    taps = home_taps(world, scenario, rng)
    threads = [threading.Thread(target=run_homes, args=(port, taps, start, scenario, log,
                                                        random.Random(rng.random()), stop_at), daemon=True)]
    by_id = {f.id: f for f in world.facilitators}
    for group in world.groups[:scenario.facilitators]:
        user: Staff = by_id[group.facilitator_ids[0]]
        threads.append(threading.Thread(
            target=run_facilitator, daemon=True,
            args=(port, pages.session_cookie(app, user), group.current_session_id, start, scenario, log,
                  random.Random(rng.random()), stop_at)))
    for user in (world.leads * scenario.leads)[:scenario.leads]:
        threads.append(threading.Thread(target=run_lead, daemon=True, args=(
            port, pages.session_cookie(app, user), scenario, log, random.Random(rng.random()), stop_at)))
    for thread in threads:
        thread.start()
    return threads


def report(log: Log, problems: list[str], took: float, server_log: str, check_latency: bool,
           markdown: Path | None = None, key: str = "", heading: str = "") -> int:
    table = figures(log)
    lines = ["| request | count | p50 ms | p95 ms | max ms | answers |",
             "| --- | --- | --- | --- | --- | --- |"]
    for kind, f in table.items():
        answers = ", ".join(f"{status or 'no answer'}: {n}" for status, n in f["statuses"].items())
        lines.append(f"| {kind} | {f['requests']} | {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | "
                     f"{f['max_ms']:.0f} | {answers} |")
    print("\n".join(lines))
    errors = sum(1 for s in log.samples if s.status == 0)
    server_errors = sum(1 for s in log.samples if s.status >= 500)
    join_p95 = table.get("join", {}).get("p95_ms", 0.0)
    print(f"\n{len(log.samples)} requests in {took:.0f} s; {sum(log.joins.values())} joins redirected; "
          f"{len(log.saves)} registers saved")
    failures = list(problems)
    if server_errors:
        failures.append(f"{server_errors} answers were 5xx")
    if errors:
        kinds = Counter(s.kind for s in log.samples if s.status == 0)
        failures.append(f"{errors} connection errors or timeouts ({REQUEST_TIMEOUT:.0f} s): "
                        + ", ".join(f"{kind} {n}" for kind, n in kinds.items()))
    if check_latency and join_p95 > JOIN_P95_MS:
        failures.append(f"join links: p95 {join_p95} ms (at most {JOIN_P95_MS} ms)")
    if "join" not in table or not log.saves:
        failures.append("no joins or no register saves were made")
    unexpected = [p for p in log.problems if "connection error" not in p]
    failures += unexpected[:10]
    summary = (f"{len(log.samples)} requests in {took:.0f} s; {sum(log.joins.values())} joins redirected; "
               f"{len(log.saves)} registers saved")
    if failures:
        verdict = "FAILED:\n\n" + "\n".join(f"- {f}" for f in failures)
        print(verdict.replace("\n\n", "\n"))
        if server_errors and server_log:
            print("gunicorn log (last lines):\n" + server_log)
    else:
        latency = f"join p95 within {JOIN_P95_MS} ms" if check_latency else "join p95 not checked (--small)"
        verdict = (f"PASSED: no 5xx, no connection errors, {latency}, every join record and register "
                   "stored exactly as sent")
        print(verdict)
    if markdown is not None:
        from bench.run import machine, write_load_section

        command = "make load" + ("" if "no-dashboard" not in key else " LOAD_ARGS=--no-dashboard")
        write_load_section(markdown, key, f"## Load test (`{command}`)\n\n{heading}\n\nMachine: {machine()}. "
                           f"Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.\n\n"
                           + "\n".join(lines) + f"\n\n{summary}.\n\n{verdict}\n")
    return 1 if failures else 0


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a few seconds with a few people (CI)")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead of PostgreSQL")
    parser.add_argument("--database-url", default=None,
                        help=f"PostgreSQL URL (default $FACILITATOR_BENCH_DATABASE_URL or {DEFAULT_PG})")
    parser.add_argument("--duration", type=float, default=None, help="seconds of traffic (default 120)")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=None, help="threads per gunicorn worker (default 4)")
    parser.add_argument("--no-dashboard", action="store_true",
                        help="leads download the CSV but do not open the dashboard (to see the rest alone)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scenario = Scenario.small() if args.small else Scenario(Spec())
    overrides = {k: v for k, v in (("duration", args.duration), ("workers", args.workers),
                                   ("threads", args.threads)) if v is not None}
    if args.no_dashboard:
        overrides["lead_dashboard"] = False
    if overrides:
        scenario = dataclasses.replace(scenario, **overrides)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.sqlite:
        url, schema = f"sqlite:///{args.workdir / 'load.db'}", ""
    else:
        url = args.database_url or os.environ.get("FACILITATOR_BENCH_DATABASE_URL") or DEFAULT_PG
        schema = f"load_{os.getpid()}"
    try:
        markdown = None if args.small else ROOT / "bench" / "RESULTS.md"
        return run(scenario, url, schema, args.workdir, markdown)
    finally:
        seed.drop_schema(url, schema)


if __name__ == "__main__":
    sys.exit(main())
