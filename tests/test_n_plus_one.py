"""The N+1 guard: every page the benchmark measures sends as many SQL statements with 50 homes
(two groups, a longer history) as with 5 (one group), and no more than 15 (the programme report,
which reads every section's own figures: ``bench.run.STATEMENT_LIMITS``).

The pages and the counting are the benchmark's own (``bench/pages.py``), so a page pointed at a
new route is guarded here too. Runs on SQLite, and on PostgreSQL with FACILITATOR_TEST_DATABASE_URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import pages, seed
from bench.run import PAGE_NAMES, statement_limit
from bench.seed import Spec
from facilitator import create_app
from facilitator.auth.passwords import hash_password
from facilitator.extensions import db
from facilitator.supervision.crypto import keyring, new_key
from tests.conftest import base_config, empty_tables
from tests.support import dbsetup

FEW = Spec.at(0.005, sessions_per_group=8, future_sessions=2)  # 5 homes in one group
MANY = Spec.at(0.05, sessions_per_group=12, future_sessions=2)  # 50 homes in two groups


def statement_counts(database: dbsetup.TestDatabase, instance: Path, spec: Spec) -> dict[str, tuple[int,
                                                                                                    list[str]]]:
    # The report cache off: the warm-up request would otherwise leave the engagement pages cached,
    # and the guard is about the statements a page sends when it has to compute.
    app = create_app(base_config(database, NOTES_KEYS=new_key(), REPORT_CACHE_SIZE=0),
                     instance_path=str(instance))
    try:
        with app.app_context():
            with db.engine.begin() as connection:
                world = seed.populate(connection, spec, keyring(), password_hash=hash_password(seed.PASSWORD))
            counter = pages.StatementCounter()
        client = pages.AppClient(app)  # requests get their own app context, as in production
        try:
            return {name: pages.count_statements(name, world, client, counter) for name in PAGE_NAMES}
        finally:
            counter.close()
    finally:
        empty_tables(app)


@pytest.fixture(scope="module")
def counts(test_database: dbsetup.TestDatabase,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, tuple[int, list[str]]]]]:
    yield {"few": statement_counts(test_database, tmp_path_factory.mktemp("few"), FEW),
           "many": statement_counts(test_database, tmp_path_factory.mktemp("many"), MANY)}


def _listing(statements: list[str]) -> str:
    return "\n".join(f"  {i + 1}. {' '.join(s.split())[:160]}" for i, s in enumerate(statements))


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_statements_do_not_grow_with_homes(counts: dict[str, Any], name: str) -> None:
    few, few_sql = counts["few"][name]
    many, many_sql = counts["many"][name]
    assert few == many, (f"{name}: {few} statements with 5 homes, {many} with 50 (an N+1?)\n"
                         f"with 50 homes:\n{_listing(many_sql)}")


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_at_most_fifteen_statements(counts: dict[str, Any], name: str) -> None:
    many, many_sql = counts["many"][name]
    assert many <= statement_limit(name), f"{name}: {many} statements\n{_listing(many_sql)}"
