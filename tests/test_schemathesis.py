"""Property-based API testing: schemathesis generates requests from /api/openapi.json.

Every operation of the published document is exercised, none excluded. The app runs in process
(WSGI) on a seeded database (every role, two homes in a group, a session, links) and every request
carries an admin's API token, so reads find rows and writes can succeed. Per operation, three
bounded, derandomized runs of hypothesis (repeatable, about a minute in all):

- ``positive``: valid requests as the document describes them, ids generated;
- ``positive-rows``: the same with the path's ids naming rows that exist (so GET/PATCH/DELETE
  reach the service instead of a 404);
- ``negative``: requests that break the document (wrong types, missing or extra fields).

Checks on every answer:

- ``not_a_server_error``: no 5xx, whatever is sent;
- ``response_schema_conformance``: the JSON matches the schema the document gives its status;
- ``status_code_conformance``: the status is one the document lists for the operation.

(schemathesis's own pytest loader, ``schemathesis.pytest.from_fixture``, needs pytest's removed
``Node._nodeid``; the operations are parametrized here from the app's registry instead, and a test
checks that the registry and the published document list the same operations.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

import facilitator.api  # noqa: F401 - registers every operation
from facilitator import create_app
from facilitator.api.core import OPERATIONS
from facilitator.api.openapi import _PARAM
from facilitator.extensions import db
from tests.conftest import base_config, empty_tables
from tests.support.crawl import ID_MODELS, build_world, first_id, world_config
from tests.support.factories import Factory

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
RUNS = ("positive", "positive-rows", "negative")
OPERATION_IDS = sorted((_PARAM.sub(r"{\2}", op.rule), op.method.upper()) for op in OPERATIONS)


@pytest.fixture(scope="module")
def api(test_database: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    """The loaded document of one seeded app for the whole module, and an admin token's headers.

    One app serves every operation (rows made by one run stay for the next, which only widens what
    the later runs meet); building an app and its world per run would double the module's time.
    """
    app = create_app(base_config(test_database, **world_config()),
                     instance_path=str(tmp_path_factory.mktemp("schemathesis")))
    with app.app_context():
        world = build_world(Factory(app))
        token = world.api_tokens["admin"]
    # No app context stays pushed: each generated request gets its own, as in production.
    yield schemathesis.openapi.from_wsgi("/api/openapi.json", app), {"Authorization": f"Bearer {token}"}
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    empty_tables(app)


def test_document_lists_every_operation(api: Any) -> None:
    schema, _ = api
    published = sorted((path, method.upper()) for path, methods in schema.raw_schema["paths"].items()
                       for method in methods)
    assert published == OPERATION_IDS


def _existing_ids(schema: Any, path: str) -> dict[str, int]:
    app = schema.app
    with app.app_context():
        names = [name for _, name in _PARAM.findall(path.replace("{", "<").replace("}", ">"))]
        return {name: first_id(ID_MODELS[name]) or 1 for name in names if name in ID_MODELS}


def _has_ids(path: str) -> bool:
    return "{" in path


CASES = [(path, method, run) for path, method in OPERATION_IDS for run in RUNS
         if run != "positive-rows" or _has_ids(path)]


@pytest.mark.parametrize(("path", "method", "run"), CASES, ids=[f"{m} {p} {r}" for p, m, r in CASES])
def test_operation_conforms(api: Any, path: str, method: str, run: str) -> None:
    schema, headers = api
    operation = schema[path][method]
    ids = _existing_ids(schema, path)
    mode = GenerationMode.NEGATIVE if run == "negative" else GenerationMode.POSITIVE
    strategy = operation.as_strategy(generation_mode=mode,
                                     path_parameters=ids if run == "positive-rows" else None)

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    check()
