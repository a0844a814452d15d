"""Where the test run's database lives: a SQLite file, or a schema of its own on PostgreSQL.

``FACILITATOR_TEST_DATABASE_URL`` chooses PostgreSQL. Each run creates a uniquely named schema
and drops it at the end, so runs never see each other's rows and leave nothing behind.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

PG_URL_ENV = "FACILITATOR_TEST_DATABASE_URL"


@dataclass
class TestDatabase:
    url: str
    schema: str = ""

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    def config(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "DATABASE_SCHEMA": self.schema}


def postgres_url() -> str | None:
    return os.environ.get(PG_URL_ENV) or None


@contextmanager
def database(tmp_dir: Path, name: str = "run") -> Iterator[TestDatabase]:
    """A fresh, empty database for as long as the context lasts."""
    url = postgres_url()
    if url is None:
        path = tmp_dir / f"{name}.db"
        yield TestDatabase(f"sqlite:///{path}")
        return
    schema = f"test_{name}_{os.getpid()}_{secrets.token_hex(4)}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield TestDatabase(url, schema)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def check_postgres_reachable(url: str) -> None:
    engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    finally:
        engine.dispose()
