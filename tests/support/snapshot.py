"""A seeded database, kept in memory and put back for the next test: the rows of every table.

The accessibility pages (``tests/browser/test_accessibility_browser.py``) each need the same
world — the demo and a few dozen rows more — on the commit database, which is emptied after every
test. Seeding it takes longer than most of those tests themselves (password hashes, the demo's
outbox run), so the first test of a process seeds it and :func:`take` copies every row; the
others start from :func:`restore`, which inserts the same rows again (PostgreSQL: and moves each
sequence past them). What a test writes is still emptied after it, as for every other test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask

from facilitator.extensions import db

W = TypeVar("W")


@dataclass(frozen=True)
class Snapshot:
    app: Flask
    rows: dict[str, list[dict[str, Any]]]


def take(app: Flask) -> Snapshot:
    """Every row of every table of ``app``'s database, as it is now."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as conn:
            rows = {table.name: [dict(row) for row in conn.execute(sa.select(table)).mappings()]
                    for table in db.metadata.sorted_tables}
    return Snapshot(app, rows)


def restore(snapshot: Snapshot) -> None:
    """Put the snapshot's rows back into the (empty) database, parents before children."""
    app = snapshot.app
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in db.metadata.sorted_tables:
                rows = snapshot.rows[table.name]
                if rows:
                    conn.execute(table.insert(), rows)
                    if conn.dialect.name == "postgresql":
                        _move_sequence(conn, table)


def _move_sequence(conn: sa.Connection, table: sa.Table) -> None:
    column = table.c.get("id")
    if column is None or not isinstance(column.type, sa.Integer):
        return
    sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}).scalar()
    if sequence:
        conn.execute(sa.text(f"SELECT setval('{sequence}', (SELECT max(id) FROM \"{table.name}\"))"))


def seeded_once(kept: dict[str, tuple[Snapshot, Any]], app: Flask, seed: Callable[[], W]) -> W:
    """``seed()`` the first time for ``app`` in this process, a restored snapshot afterwards;
    returns what the seed returned (ids and links, which stay true of the restored rows)."""
    found = kept.get("world")
    if found is not None and found[0].app is app:
        restore(found[0])
        return found[1]
    world = seed()
    kept["world"] = (take(app), world)
    return world
