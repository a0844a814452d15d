"""The house rules of the code, checked on the code itself.

- Provider facts live on the provider classes in ``integrations/providers``: nothing else in the
  app branches on a provider's name (``Provider.LINK``, ``== "zoom"``, ``{"teams": ...}``).
- Blueprint name = package name = template folder, and each area wires itself with ``init_app``.
- No file in ``facilitator/`` is over 400 lines.
- Views do not commit: the request's one commit is ``facilitator.transaction``'s.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from facilitator import AREAS
from integrations.providers.registry import NAMES

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "facilitator"
TEMPLATES = ROOT / "templates"
STATIC = APP / "static"
# Where a provider may be named: its own classes, and the demo's choice of provider for a group.
ALLOWED = {ROOT / "facilitator" / "demo.py"}
MAX_LINES = 400


def _app_files() -> list[Path]:
    files = [p for p in APP.rglob("*.py") if "migrations" not in p.parts]
    files += list(TEMPLATES.rglob("*.html")) + list(TEMPLATES.rglob("*.txt")) + list(STATIC.rglob("*.js"))
    return [p for p in files if p not in ALLOWED]


NAME = "|".join(re.escape(name) for name in NAMES)
BRANCHES = [
    re.compile(r"\bProvider\.(?:" + "|".join(name.upper() for name in NAMES) + r")\b"),
    re.compile(r"""(?:==|!=)\s*['"](?:""" + NAME + r""")['"]"""),
    re.compile(r"""['"](?:""" + NAME + r""")['"]\s*(?:==|!=|:)"""),
    re.compile(r"""\bin\s*[\(\[\{]\s*['"](?:""" + NAME + r""")['"]"""),
]


def provider_branches(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in BRANCHES)]


@pytest.mark.parametrize("line", [
    'if session.provider == "link":',
    "{% if session.provider == 'zoom' %}",
    'LABELS = {"zoom": "Zoom", "teams": "Microsoft Teams"}',
    "return Provider(x).label if x != Provider.LINK else 'the meeting link'",
    'linkField.hidden = provider.value !== "link";',
    'if provider in ("zoom", "teams"):',
])
def test_the_check_finds_a_provider_branch(line):
    assert provider_branches(line) == [line.strip()]


@pytest.mark.parametrize("line", [
    'if hub().needs_join_url(session.provider):',
    "    label = hub().label(name)",
    'ZOOM_WEBHOOK_SECRET = ""',
    "MeetingSession.provider == ZoomProvider.name",
])
def test_the_check_lets_questions_to_the_hub_through(line):
    assert provider_branches(line) == []


def test_no_provider_is_named_outside_the_registry():
    found = {str(path.relative_to(ROOT)): hits for path in _app_files()
             if (hits := provider_branches(path.read_text()))}
    assert found == {}, "ask facilitator.providers.hub instead of naming a provider"


def test_no_file_of_the_app_is_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in APP.rglob("*.py")
            if "migrations" not in p.parts and (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_each_area_is_one_package_whose_blueprint_and_templates_share_its_name(app):
    packages = {area.__name__.rsplit(".", 1)[1] for area in AREAS}
    assert set(app.blueprints) <= packages | {"api"}
    for name in app.blueprints:
        assert (APP / name / "__init__.py").exists(), name
    for folder in (p.name for p in TEMPLATES.iterdir() if p.is_dir() and p.name != "errors"):
        assert folder in app.blueprints, f"templates/{folder}/ belongs to no blueprint"
    for area in AREAS:
        assert callable(getattr(area, "init_app", None)), area.__name__


def _commits_in(path: Path) -> list[str]:
    calls = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("commit", "rollback") and ast.unparse(node.func.value) == "db.session":
            calls.append(f"{path.name}:{node.lineno} {ast.unparse(node)}")
    return calls


def test_views_never_commit_or_roll_back_themselves():
    views = [p for p in APP.rglob("*.py") if p.name.endswith("views.py") or p.parent.name == "api"]
    assert views
    found = [call for path in views for call in _commits_in(path)]
    assert found == [], "the request's transaction belongs to facilitator.transaction"
