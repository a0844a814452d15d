"""SQL built from strings: every marked line must be flagged."""

# ruff: noqa: UP031, UP032 - the old string formatting is what the rule must catch

import sqlalchemy as sa
from sqlalchemy import text


def run(conn, session, table: str, name: str) -> None:
    session.execute(text(f"SELECT * FROM {table}"))  # expect: sql-built-from-strings
    conn.execute(sa.text("DELETE FROM users WHERE name = '%s'" % name))  # expect: sql-built-from-strings
    conn.exec_driver_sql("SELECT * FROM {}".format(table))  # expect: sql-built-from-strings
    query = f"UPDATE {table} SET name = '{name}'"
    session.execute(text(query))  # expect: sql-built-from-strings
    cursor = conn.connection.cursor()
    cursor.execute(f"TRUNCATE {table}")  # expect: sql-built-from-strings
    cursor.execute(f"PRAGMA busy_timeout={int(name)}; {table}")  # expect: sql-built-from-strings
