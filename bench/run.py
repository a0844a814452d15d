"""``make bench``: seed a national-scale dataset, measure the pages, print one table.

For each scale (10% and 100% of the national roll-out, ``bench/seed.py``) on one database (SQLite
by default, PostgreSQL with ``--postgres``):

1. a fresh database is migrated and seeded (``seed_seconds`` is the seeding alone);
2. every page in ``bench/pages.py`` is requested in-process (Flask's test client) 30 times after two
   warm-up requests: median, 95th percentile and the SQL statements per request;
3. the app and the bare-Flask yardstick (``bench/bare_app.py``) are served by gunicorn (2 sync
   workers each, one after the other) and:
   - the attendance CSV is downloaded over HTTP three times: time to the first byte, to the end,
     and how much the serving worker's resident memory grew;
   - join links are opened over 50 concurrent connections for a few seconds against each:
     requests per second and the ratio (printed for comparison; no longer a target since join
     links go through the normal view, which holds the 10 o'clock load test by itself).

Results go to ``bench/results.json`` (merged: a SQLite run keeps the PostgreSQL figures and the
other way round) and ``bench/RESULTS.md`` (the table, with the machine). ``--small`` runs tiny
scales with few requests in seconds (the test suite runs it) and writes nowhere in the repo
unless ``--out`` says so. All traffic goes to 127.0.0.1.

    python -m bench.run                      # SQLite, 10% and 100%
    python -m bench.run --postgres           # PostgreSQL (FACILITATOR_BENCH_DATABASE_URL or local)
    python -m bench.run --small --out /tmp/r.json
    python -m bench.run --pages progress_all,assessment_page   # those pages only, results printed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import statistics
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` as well as `python -m bench.run`
    sys.path.insert(0, str(ROOT))

from bench import pages, seed, servers, traffic  # noqa: E402
from bench.seed import Spec, World  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PAGE_NAMES = ("dashboard", "engagement_all", "engagement_group", "csv", "feed", "join", "register_open",
              "register_save", "facilitator_home", "calendar", "assessment_pack_pdf", "progress_all",
              "assessment_page", "actions_all", "programme_report", "programme_report_pdf",
              "questionnaire_results")
TARGETS_MS = {"dashboard": 300, "engagement_all": 300, "feed": 50, "register_save": 100,
              "assessment_pack_pdf": 2000, "progress_all": 300, "assessment_page": 100,
              "actions_all": 300, "programme_report": 1000, "programme_report_pdf": 10000,
              "questionnaire_results": 200}
# Pages built from the engagement report, which each worker caches per group until a change to
# the group is committed: they are measured a second time with the cache off ("uncached").
REPORT_PAGES = ("dashboard", "engagement_all", "engagement_group", "facilitator_home")
# Issue 18: the report is fast without its cache too (the cache only adds).
UNCACHED_TARGETS = ("dashboard", "engagement_all")
MAX_STATEMENTS = 15
# The programme report reads every section's own figures (issue 20): more statements than a page,
# as many whatever the number of homes (checked between the two scales like every page).
STATEMENT_LIMITS = {"programme_report": 120, "programme_report_pdf": 120}


def statement_limit(name: str) -> int:
    return STATEMENT_LIMITS.get(name, MAX_STATEMENTS)


@dataclass(frozen=True)
class Plan:
    scales: dict[str, Spec]
    requests: int
    throughput_seconds: float
    csv_downloads: int
    concurrency: int = 50
    warmup_seconds: float = 2.0
    hammer_lead: float = 0.5  # seconds between starting the load generator and its first connection
    page_budget: float = 120.0  # seconds per page; a slower page stops after 5 requests
    pages: tuple[str, ...] = PAGE_NAMES  # ``--pages``: a subset skips the HTTP measurements

    @property
    def every_page(self) -> bool:
        return self.pages == PAGE_NAMES


def full_plan(requests: int, names: tuple[str, ...] = PAGE_NAMES) -> Plan:
    return Plan({"10%": Spec.at(0.1), "100%": Spec()}, requests, throughput_seconds=5.0, csv_downloads=3,
                pages=names)


def small_plan() -> Plan:
    """Seconds, not minutes: 5 and 50 homes, a few weeks of sessions, a few requests, and join
    links opened for half a second (it proves the run and its figures; it measures nothing)."""
    return Plan({"10%": Spec.at(0.005, sessions_per_group=8, future_sessions=2),
                 "100%": Spec.at(0.05, sessions_per_group=12, future_sessions=2)},
                requests=3, throughput_seconds=0.5, csv_downloads=1, concurrency=10, warmup_seconds=0.25,
                hammer_lead=0.2)


@dataclass
class Target:
    url: str
    schema: str

    @property
    def name(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"


def app_config(target: Target, secret_key: str, notes_keys: str, workdir: Path) -> dict[str, Any]:
    return {"DATABASE_URL": target.url, "DATABASE_SCHEMA": target.schema, "SECRET_KEY": secret_key,
            "NOTES_KEYS": notes_keys, "MAIL_OUTBOX_DIR": str(workdir / "outbox"), "LOG_LEVEL": "WARNING"}


# One scale ----------------------------------------------------------------------------------------

def run_scale(label: str, spec: Spec, target: Target, plan: Plan, workdir: Path) -> dict[str, Any]:
    from facilitator import create_app
    from facilitator.extensions import db
    from facilitator.supervision.crypto import new_key

    seed.fresh_database(target.url, target.schema)
    secret_key, notes_keys = secrets.token_urlsafe(48), new_key()
    instance = workdir / f"instance-{target.name}-{label.rstrip('%')}"
    app = create_app(app_config(target, secret_key, notes_keys, workdir), instance_path=str(instance))
    say(f"[{target.name} {label}] seeding {spec.homes} homes ...")
    world, seed_seconds = seed.seed_app(app, spec)
    say(f"[{target.name} {label}] seeded in {seed_seconds:.1f} s: {seed.summary(world)}")

    counter = pages.StatementCounter()
    client = pages.AppClient(app)
    figures: dict[str, Any] = {}
    for name in plan.pages:
        measured = pages.measure(name, world, client, counter, plan.requests, budget=plan.page_budget)
        figures[name] = measured.as_dict()
        if len(measured.samples) < plan.requests:
            say(f"[{target.name} {label}] {name}: only {len(measured.samples)} requests within "
                f"{plan.page_budget:.0f} s")
        say(f"[{target.name} {label}] {name:<17} p50 {measured.p50_ms:7.1f} ms  "
            f"p95 {measured.p95_ms:7.1f} ms  "
            f"{measured.statements} statements")
    counter.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    uncached(figures, world, target, plan, app_config(target, secret_key, notes_keys, workdir), instance)
    if not plan.every_page:
        return {"pages": figures, "seed_seconds": round(seed_seconds, 1)}
    env = servers.app_env(target.url, target.schema, secret_key, notes_keys, instance)
    csv_figures, join_figures = served(world, app, env, plan, workdir, f"{target.name}-{label}")
    return {"pages": figures, "csv": csv_figures, "join_redirect": join_figures,
            "seed_seconds": round(seed_seconds, 1)}


def uncached(figures: dict[str, Any], world: World, target: Target, plan: Plan, config: dict[str, Any],
             instance: Path) -> None:
    """The report pages again with the report cache off: what computing a report costs."""
    from facilitator import create_app
    from facilitator.extensions import db

    app = create_app({**config, "REPORT_CACHE_SIZE": 0}, instance_path=str(instance))
    counter = pages.StatementCounter()
    client = pages.AppClient(app)
    for name in (n for n in REPORT_PAGES if n in plan.pages):
        measured = pages.measure(name, world, client, counter, plan.requests, budget=plan.page_budget)
        figures[name]["uncached"] = measured.as_dict()
        say(f"[{target.name}] {name:<17} uncached p50 {measured.p50_ms:7.1f} ms  "
            f"p95 {measured.p95_ms:7.1f} ms  {measured.statements} statements")
    counter.close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def served(world: World, app: Any, env: dict[str, str], plan: Plan, workdir: Path,
           tag: str) -> tuple[dict[str, float], dict[str, float]]:
    """The measurements over real HTTP: the CSV download, and join throughput against the yardstick."""
    logs = workdir / "logs"
    links = {link.token: "https://us02web.zoom.us/j/bench" for link in world.join_links}
    links_file = workdir / "join-links.json"
    links_file.write_text(json.dumps(links))
    paths = [f"/j/{link.token}" for link in world.join_links]
    headers = {"User-Agent": pages.IPAD}
    with servers.start_gunicorn("bench.wsgi:app", name=f"app-{tag}", env=env, log_dir=logs) as server:
        csv_figures = csv_download(server, app, world, plan.csv_downloads)
        say(f"[{tag}] csv over HTTP: first byte {csv_figures['first_byte_ms']} ms, "
            f"whole {csv_figures['total_ms']} ms, memory +{csv_figures['memory_growth_mb']} MB")
        ours = join_throughput(server, paths, headers, plan)
        check_answers("app join", ours, expected=303)
    with servers.start_gunicorn("bench.bare_app:create_app()", name=f"bare-{tag}", log_dir=logs,
                                env={"BENCH_JOIN_LINKS": str(links_file)}) as bare:
        yardstick = join_throughput(bare, paths, headers, plan)
        check_answers("bare join", yardstick, expected=303)
    ratio = ours.rps / yardstick.rps if yardstick.rps else 0.0
    say(f"[{tag}] join redirect: {ours.rps:.0f}/s (p95 {ours.p95_ms} ms) against bare Flask "
        f"{yardstick.rps:.0f}/s: {ratio:.0%}")
    return csv_figures, {"rps": round(ours.rps, 1), "bare_flask_rps": round(yardstick.rps, 1),
                         "ratio": round(ratio, 3)}


def join_throughput(server: servers.Server, paths: list[str], headers: dict[str, str],
                    plan: Plan) -> traffic.Throughput:
    """Warm the workers up (first requests load code and open connections), then measure."""
    traffic.hammer(server.port, paths, headers, concurrency=plan.concurrency, seconds=plan.warmup_seconds,
                   lead=plan.hammer_lead)
    return traffic.hammer(server.port, paths, headers, concurrency=plan.concurrency,
                          seconds=plan.throughput_seconds, lead=plan.hammer_lead)


def check_answers(what: str, result: traffic.Throughput, expected: int) -> None:
    wrong = {status: n for status, n in result.statuses.items() if status != expected}
    if wrong or result.errors or not result.completed:
        raise RuntimeError(f"{what}: answers {result.statuses}, {result.errors} connection errors")


def csv_download(server: servers.Server, app: Any, world: World, times: int) -> dict[str, float]:
    """Download the whole CSV as a lead; the worker's memory is sampled while it streams."""
    cookie = pages.session_cookie(app, pages.lead(world))
    headers = {"Cookie": cookie, "User-Agent": pages.BROWSER}
    for _ in range(4):  # both workers answer a few pages first, so start-up costs are not counted
        reply = traffic.request(server.port, "GET", "/reports/attendance?group_id=" + str(world.groups[0].id),
                                headers)
    first_bytes, totals, growth = [], [], 0.0
    for _ in range(times):
        workers = server.worker_pids()
        before = {pid: servers.rss_mb(pid) for pid in workers}
        samplers = [traffic.Sampler(lambda pid=pid: servers.rss_mb(pid)) for pid in workers]
        for sampler in samplers:
            sampler.__enter__()
        try:
            result = traffic.download(server.port, "/reports/attendance.csv", headers)
        finally:
            for sampler in samplers:
                sampler.__exit__(None, None, None)
        if result.status != 200:
            raise RuntimeError(f"CSV download answered {result.status}")
        first_bytes.append(result.first_byte_ms)
        totals.append(result.total_ms)
        growth = max(growth, *(s.peak - before[pid] for s, pid in zip(samplers, workers, strict=True)))
    del reply
    return {"first_byte_ms": round(statistics.median(first_bytes), 1),
            "total_ms": round(statistics.median(totals), 1), "memory_growth_mb": round(max(growth, 0.0), 1)}


# Results ------------------------------------------------------------------------------------------

def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def merge(path: Path, database: str, results: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError:
            data = {}
    data[database] = results
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return data


def verdicts(scale: dict[str, Any], other: dict[str, Any] | None) -> list[str]:
    """Which targets this scale misses (100% scale: all of them; statements at both)."""
    misses = []
    for name, figures in scale["pages"].items():
        if figures["statements"] > statement_limit(name):
            misses.append(f"{name}: {figures['statements']} statements (at most {statement_limit(name)})")
        if other is not None and other["pages"].get(name, figures)["statements"] != figures["statements"]:
            misses.append(f"{name}: statements differ between scales "
                          f"({other['pages'][name]['statements']} and {figures['statements']})")
        limit = TARGETS_MS.get(name)
        if limit and other is not None and figures["p95_ms"] > limit:
            misses.append(f"{name}: p95 {figures['p95_ms']} ms (target {limit} ms)")
        uncached = figures.get("uncached") if name in UNCACHED_TARGETS else None
        if limit and other is not None and uncached and uncached["p95_ms"] > limit:
            misses.append(f"{name}, report cache off: p95 {uncached['p95_ms']} ms (target {limit} ms)")
    if other is not None and "csv" in scale:
        csv = scale["csv"]
        if csv["first_byte_ms"] > 500 or csv["total_ms"] > 5000 or csv["memory_growth_mb"] > 50:
            misses.append(f"csv: first byte {csv['first_byte_ms']} ms (500), "
                          f"whole {csv['total_ms']} ms (5000), "
                          f"memory +{csv['memory_growth_mb']} MB (50)")
    return misses


def table(data: dict[str, Any]) -> str:
    """One table: a row per page, p50 / p95 / statements per database and scale."""
    columns = [(db, scale) for db in ("sqlite", "postgresql") if db in data for scale in data[db]]
    head = "| page | " + " | ".join(f"{db} {scale}" for db, scale in columns) + " |"
    lines = [head, "|" + " --- |" * (len(columns) + 1)]
    for name in PAGE_NAMES:
        cells = []
        for db, scale in columns:
            f = data[db][scale]["pages"].get(name)
            cells.append(f"{f['p50_ms']:.0f} / {f['p95_ms']:.0f} ms, {f['statements']} st" if f else "–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in REPORT_PAGES:
        cells = []
        for db, scale in columns:
            f = data[db][scale]["pages"].get(name, {}).get("uncached")
            cells.append(f"{f['p50_ms']:.0f} / {f['p95_ms']:.0f} ms, {f['statements']} st" if f else "–")
        lines.append(f"| {name}, report cache off | " + " | ".join(cells) + " |")
    rows = {  # label: (the figures it needs, its cell); a --pages run has no HTTP figures
        "csv over HTTP: first byte / whole / memory": ("csv", lambda r: (
            f"{r['csv']['first_byte_ms']:.0f} / {r['csv']['total_ms']:.0f} ms, "
            f"+{r['csv']['memory_growth_mb']:.0f} MB")),
        "join redirect/s: app / bare Flask (ratio)": ("join_redirect", lambda r: (
            f"{r['join_redirect']['rps']:.0f} / {r['join_redirect']['bare_flask_rps']:.0f} "
            f"({r['join_redirect']['ratio']:.0%})")),
        "seeding": ("seed_seconds", lambda r: f"{r['seed_seconds']:.1f} s"),
    }
    for label, (key, cell) in rows.items():
        lines.append(f"| {label} | " + " | ".join(cell(data[db][scale]) if key in data[db][scale] else "–"
                                                 for db, scale in columns) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal:"))
        memory = f"{mem_kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        memory = "unknown RAM"
    return f"{os.cpu_count()} CPUs ({cpu}), {memory}, {platform.system()} {platform.release()}, Python " \
           f"{platform.python_version()}"


def write_markdown(path: Path, data: dict[str, Any]) -> None:
    misses = []
    for db, scales in data.items():
        small = scales.get("10%")
        full = scales.get("100%")
        if full is not None:
            misses += [f"{db}: {m}" for m in verdicts(full, small)]
    met = ("Every target is met." if not misses
           else "Targets missed:\n\n" + "\n".join(f"- {m}" for m in misses))
    kept = load_section(path)
    path.write_text(f"""# Benchmark results

Produced by `make bench` (SQLite) and `make bench BENCH_ARGS=--postgres` (PostgreSQL), which write
`bench/results.json` and this file. Each cell: median / 95th percentile over 30 requests after two
warm-up requests, in-process through Flask's test client, and the SQL statements one request sends.
The pages built from the engagement report are served from each worker's report cache while no
change to a group is committed (after a register is saved only that group is computed again);
the "report cache off" rows measure them computing every report from the database.
The CSV and join rows are over real HTTP against gunicorn (2 sync workers) on loopback; the bare
Flask app (`bench/bare_app.py`) answers the same redirect from a dict in the same run.

A page that takes more than {full_plan(30).page_budget:.0f} s for its 30 requests stops after at least 5
(it is far off any target then), so that a run stays bounded.

Machine: {machine()}. Written {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.
The load generator runs on the same machine, so throughput figures include its share of the CPUs.

{table(data)}

{met}
""" + kept)


_LOAD_SECTION = re.compile(r"<!-- load test (?P<key>[\w-]+) -->.*?<!-- end of load test (?P=key) -->", re.S)


def load_section(path: Path) -> str:
    """The load test's sections of RESULTS.md (``bench/load.py`` writes them), kept across bench runs."""
    try:
        text = path.read_text()
    except OSError:
        return ""
    return "".join(f"\n{m.group(0)}\n" for m in _LOAD_SECTION.finditer(text))


def write_load_section(path: Path, key: str, body: str) -> None:
    """Put one load test section (``key``: which variant) into RESULTS.md, replacing its last one."""
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    section = f"<!-- load test {key} -->\n{body.strip()}\n<!-- end of load test {key} -->"
    found = [m for m in _LOAD_SECTION.finditer(text) if m.group("key") == key]
    if found:
        text = text[:found[0].start()] + section + text[found[0].end():]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")


def page_list(value: str) -> tuple[str, ...]:
    """``--pages``: names from PAGE_NAMES, comma-separated, kept in the table's order."""
    wanted = {name.strip() for name in value.split(",") if name.strip()}
    unknown = wanted - set(PAGE_NAMES)
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(f"unknown pages {', '.join(sorted(unknown)) or '(none)'}; "
                                         f"the pages are {', '.join(PAGE_NAMES)}")
    return tuple(name for name in PAGE_NAMES if name in wanted)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", nargs="?", const="", default=None, metavar="URL",
                        help="run on PostgreSQL (default URL: $FACILITATOR_BENCH_DATABASE_URL or "
                             f"{DEFAULT_PG}); a schema of its own is created and dropped")
    parser.add_argument("--small", action="store_true", help="tiny scales and few requests (seconds)")
    parser.add_argument("--requests", type=int, default=30, help="measured requests per page (default 30)")
    parser.add_argument("--pages", type=page_list, default=PAGE_NAMES, metavar="NAME,NAME",
                        help="measure only these pages (no HTTP measurements; writes no results "
                             "unless --out is given)")
    parser.add_argument("--out", type=Path, default=None,
                        help="results file (default bench/results.json; --small or --pages: none "
                             "unless given)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "instance" / "bench",
                        help="databases, logs and instance folders (default instance/bench)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = (replace(small_plan(), pages=args.pages) if args.small
            else full_plan(max(30, args.requests), args.pages))
    default_out = None if args.small or not plan.every_page else ROOT / "bench" / "results.json"
    out = args.out if args.out is not None else default_out
    workdir = args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    if args.postgres is not None:
        url = args.postgres or os.environ.get("FACILITATOR_BENCH_DATABASE_URL") or DEFAULT_PG
        target = Target(url, f"bench_{os.getpid()}")
    else:
        target = Target(f"sqlite:///{workdir / 'bench.db'}", "")
    results: dict[str, Any] = {}
    try:
        for label, spec in plan.scales.items():
            results[label] = run_scale(label, spec, target, plan, workdir)
    finally:
        seed.drop_schema(target.url, target.schema)
    data = merge(out, target.name, results) if out else {target.name: results}
    print(table({target.name: results} if args.small or not plan.every_page else data))
    misses = verdicts(results["100%"], results["10%"])
    print("\n".join(["", "Targets missed:",
                     *(f"- {m}" for m in misses)]) if misses else "\nEvery target met.")
    if out and not args.small and plan.every_page:
        write_markdown(ROOT / "bench" / "RESULTS.md", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
