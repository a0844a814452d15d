"""Bound parameters and SQLAlchemy expressions: nothing here may be flagged."""

import sqlalchemy as sa
from sqlalchemy import select, text


def run(conn, session, users, name: str) -> None:
    session.execute(text("SELECT 1"))
    session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})
    conn.execute(sa.text("DELETE FROM users WHERE name = :n").bindparams(n=name))
    session.execute(select(users).where(users.c.email == f"{name}@example.org"))
    conn.exec_driver_sql("SELECT 1")
    label = f"user {name}"
    session.execute(select(users).where(users.c.name == label))
    cursor = conn.connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={int(name)}")
