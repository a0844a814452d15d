"""Our semgrep rules (.semgrep/rules.yml) catch what they should, and the application is clean.

Each sample in tests/semgrep_samples/ marks the lines a rule must flag with ``expect: <rule id>``;
every other line must stay unflagged, so a rule that goes quiet or starts crying wolf fails here.
Semgrep runs offline: metrics and the version check are off and the rules come from the file.
It runs once, over the samples and the application together (starting semgrep costs seconds);
each finding is then the samples' or the application's by its path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / ".semgrep" / "rules.yml"
SAMPLES = Path(__file__).resolve().parent / "semgrep_samples"
APP_DIRS = ("facilitator", "integrations", "templates")
EXPECT = re.compile(r"expect: ([\w-]+)")


def semgrep(*targets: str | Path) -> list[tuple[str, int, str]]:
    """Run the rule set over ``targets``; (path from the repository root, line, rule id) of each
    finding."""
    exe = Path(sys.executable).parent / "semgrep"
    cmd = [str(exe), "scan", "--config", str(RULES), "--metrics=off", "--disable-version-check",
           "--no-git-ignore", "--json", "--quiet", *map(str, targets)]
    env = {**os.environ, "SEMGREP_SEND_METRICS": "off", "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"semgrep failed ({done.returncode}): {done.stderr[-2000:]}"
    report = json.loads(done.stdout)
    assert not report["errors"], report["errors"]
    return sorted((Path(r["path"]).resolve().relative_to(ROOT).as_posix(), r["start"]["line"],
                   r["check_id"].rsplit(".", 1)[-1]) for r in report["results"])


def expected(path: Path) -> list[tuple[str, int, str]]:
    found = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        found += [(path.name, number, rule) for rule in EXPECT.findall(line)]
    return found


@pytest.fixture(scope="module")
def all_findings() -> list[tuple[str, int, str]]:
    """One semgrep run over every sample and the application's directories."""
    return semgrep(*sorted(SAMPLES.iterdir()), *APP_DIRS)


@pytest.fixture(scope="module")
def sample_findings(all_findings: list) -> list[tuple[str, int, str]]:
    """(file name, line, rule id) of each finding in a sample."""
    samples = SAMPLES.relative_to(ROOT).as_posix() + "/"
    return [(path[len(samples):], line, rule) for path, line, rule in all_findings
            if path.startswith(samples)]


def rule_ids() -> list[str]:
    return re.findall(r"^  - id: ([\w-]+)$", RULES.read_text(), flags=re.MULTILINE)


SAMPLE_FILES = sorted(p.name for p in SAMPLES.iterdir())


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_is_flagged_exactly_where_marked(name: str, sample_findings: list) -> None:
    got = [f for f in sample_findings if f[0] == name]
    assert got == expected(SAMPLES / name)
    if "_good." in name:
        assert got == []


def test_every_rule_has_a_bad_sample_it_flags(sample_findings: list) -> None:
    flagged = Counter(rule for _, _, rule in sample_findings)
    assert rule_ids(), "no rules read from .semgrep/rules.yml"
    for rule in rule_ids():
        assert flagged[rule] >= 2, f"rule {rule} flags fewer than two sample lines"


def test_every_rule_has_a_good_sample() -> None:
    stems = {name.rsplit("_", 1)[0] for name in SAMPLE_FILES}
    for stem in stems:
        assert any(n.startswith(f"{stem}_good.") for n in SAMPLE_FILES), stem
        assert any(n.startswith(f"{stem}_bad.") for n in SAMPLE_FILES), stem


def test_application_has_no_findings(all_findings: list) -> None:
    samples = SAMPLES.relative_to(ROOT).as_posix() + "/"
    assert [f for f in all_findings if not f[0].startswith(samples)] == []
