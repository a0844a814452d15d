"""``make bench`` and ``make load`` in their small modes, so the scripts cannot rot.

Both run as the Makefile runs them (a separate process serving the app with gunicorn on
loopback), on the test run's database kind: SQLite, or PostgreSQL with FACILITATOR_TEST_DATABASE_URL.
They check mechanics and correctness here, not timings (a busy CI runner's timings say little).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from bench import load, seed
from bench.run import PAGE_NAMES, REPORT_PAGES
from bench.seed import Spec
from facilitator.auth.passwords import hash_password
from facilitator.extensions import db
from facilitator.supervision.crypto import keyring
from tests.support import dbsetup

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 170  # seconds; each takes well under a minute on an idle 2-core machine


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACILITATOR_")}
    return subprocess.run([sys.executable, "-m", *args, "--workdir", str(tmp_path / "work")], cwd=ROOT,
                          env=env,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


def test_bench_small_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    url = dbsetup.postgres_url()
    args = ["bench.run", "--small", "--out", str(out)] + (["--postgres", url] if url else [])
    completed = _run(args, tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    data = json.loads(out.read_text())
    database = "postgresql" if url else "sqlite"
    assert list(data) == [database] and list(data[database]) == ["10%", "100%"]
    for scale in data[database].values():
        assert set(scale) == {"pages", "csv", "join_redirect", "seed_seconds"}
        assert list(scale["pages"]) == list(PAGE_NAMES)
        for name, figures in scale["pages"].items():
            cold = figures.pop("uncached", None)
            assert (cold is not None) == (name in REPORT_PAGES), name
            for measured in (figures, cold or figures):
                assert set(measured) == {"p50_ms", "p95_ms", "statements"}
                assert 0 < measured["p50_ms"] <= measured["p95_ms"] and measured["statements"] > 0
        assert set(scale["csv"]) == {"first_byte_ms", "total_ms", "memory_growth_mb"}
        assert set(scale["join_redirect"]) == {"rps", "bare_flask_rps", "ratio"}
        assert scale["join_redirect"]["rps"] > 0 and scale["join_redirect"]["bare_flask_rps"] > 0
    assert "| page |" in completed.stdout and "join redirect" in completed.stdout


def test_load_small_passes_and_checks_the_database(tmp_path: Path) -> None:
    url = dbsetup.postgres_url()
    args = ["bench.load", "--small"] + (["--database-url", url] if url else ["--sqlite"])
    completed = _run(args, tmp_path)
    assert completed.returncode == 0, completed.stdout + completed.stderr[-4000:]
    assert "PASSED" in completed.stdout and "stored exactly as sent" in completed.stdout


@pytest.fixture
def seeded(app: Flask) -> seed.World:
    with db.engine.begin() as connection:
        return seed.populate(connection, Spec.at(0.005, sessions_per_group=6, future_sessions=2), keyring(),
                             password_hash=hash_password(seed.PASSWORD))


def test_load_check_finds_a_missing_join_and_a_register_not_as_posted(app: Flask, seeded: seed.World) -> None:
    """The load test's verdict is only as good as its check of the database: feed it a log that
    claims more than the database holds."""
    since = datetime.fromisoformat(seeded.now) - timedelta(days=1)
    link = seeded.join_links[0]
    group = seeded.groups[0]
    log = load.Log()
    log.joins = Counter({(link.session_id, link.contact_id, link.home_id): 1})
    past = group.past_session_ids[-1]
    wrong = {"status": "present", "staff_count": 99, "engagement": None, "comment": "",
             "senior_present": None}
    log.saves = [load.Save(past, 1, {str(h): wrong for h in group.home_ids})]
    problems = load.verify(db.engine, seeded, log, since)
    assert any("join records: 1 missing" in p for p in problems), problems
    assert any(f"session {past} version 1" in p for p in problems), problems
    assert any(f"session {past}: its lines are not those last saved" in p for p in problems), problems


def test_load_check_accepts_what_the_database_holds(app: Flask, seeded: seed.World) -> None:
    since = datetime.fromisoformat(seeded.now) - timedelta(days=1)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT session_id, home_id, status, staff_count, engagement, comment, "
                                    "senior_present FROM attendance_entries WHERE session_id = :s"),
                            {"s": seeded.groups[0].past_session_ids[-1]}).all()
    lines = {str(r.home_id): {"status": r.status, "staff_count": r.staff_count, "engagement": r.engagement,
                              "comment": r.comment,
                              "senior_present": None if r.senior_present is None else bool(r.senior_present)}
             for r in rows}
    log = load.Log()
    log.saves = [load.Save(seeded.groups[0].past_session_ids[-1], 1, lines)]
    assert load.verify(db.engine, seeded, log, since) == []
