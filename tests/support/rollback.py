"""Each test in a transaction that is rolled back at its end, whatever the app commits.

All the apps a test builds share one real database connection (SQLAlchemy's ``StaticPool``
with this module's :class:`SharedConnection` as the only connection). The test's work runs in
one outer transaction on it; every transaction the app begins (a request's, a worker's, the token
store's on "its own connection") becomes a ``SAVEPOINT`` inside it, its commit a ``RELEASE`` and
its rollback a ``ROLLBACK TO``. At the end of the test the outer transaction is rolled back, so
the next test starts from the empty, migrated database without deleting a row.

Tests that need real commits (other threads or processes reading what was written, a browser
talking to a server thread, two workers racing) are marked ``real_commits`` and get a database of
their own instead (see ``tests/conftest.py``).
"""

from __future__ import annotations

import itertools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

BEGIN_STATEMENTS = ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN EXCLUSIVE")


class _Cursor:
    """A DBAPI cursor (SQLite) that turns the app's own ``BEGIN`` into nothing (the savepoint that
    stands for it was opened by the engine's ``begin`` event), and its connection settings
    (``PRAGMA x=y``, set once when the shared connection was made) too: inside the test's
    transaction SQLite refuses some of them."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    def execute(self, statement: str, *args: Any) -> Any:
        text = statement.strip().upper()
        if text in BEGIN_STATEMENTS or (text.startswith("PRAGMA") and "=" in text):
            return self._cursor
        return self._cursor.execute(statement, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def __iter__(self) -> Any:
        return iter(self._cursor)


class SharedConnection:
    """The one DBAPI connection of a test run's rollback database.

    Every transaction SQLAlchemy begins on it opens a savepoint of its own (``open_savepoint``,
    from the engine's ``begin`` event). When a SQLAlchemy connection ends its transaction its
    ``commit``/``rollback`` event names that savepoint (``ending``), and the DBAPI ``commit`` or
    ``rollback`` that follows releases or rolls back to exactly it. A DBAPI rollback no
    transaction asked for (a pool handing a connection back) changes nothing. ``reset`` rolls
    back everything the test did.
    """

    def __init__(self, real: Any, dialect: str) -> None:
        self.__dict__["_real"] = real
        self.__dict__["_dialect"] = dialect
        self.__dict__["_savepoints"] = []  # open, oldest first
        self.__dict__["_of"] = {}  # id of a SQLAlchemy connection → its savepoint
        self.__dict__["_ending"] = None
        self.__dict__["_names"] = itertools.count(1)
        self.__dict__["_outer"] = False

    # What SQLAlchemy calls ------------------------------------------------------------------

    def cursor(self, *args: Any, **kwargs: Any) -> Any:
        cursor = self._real.cursor(*args, **kwargs)
        return _Cursor(cursor) if self._dialect == "sqlite" else cursor

    def commit(self) -> None:
        name = self._take_ending()
        if name is not None:
            self._run(f"RELEASE SAVEPOINT {name}")

    def rollback(self) -> None:
        name = self._take_ending()
        if name is not None:
            self._run(f"ROLLBACK TO SAVEPOINT {name}")
            self._run(f"RELEASE SAVEPOINT {name}")

    def _take_ending(self) -> str | None:
        """The savepoint being ended, taken off the stack with any opened after it (releasing or
        rolling back to a savepoint ends the later ones too)."""
        name = self._ending
        self.__dict__["_ending"] = None
        if name is None or name not in self._savepoints:
            return None
        del self._savepoints[self._savepoints.index(name):]
        return name

    def close(self) -> None:
        """The pool's "close": the connection lives as long as the test run."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "isolation_level":
            return  # already None; setting it on sqlite3 would COMMIT the test's transaction
        setattr(self._real, name, value)

    # What the fixtures call -----------------------------------------------------------------

    def open_savepoint(self, connection: Any) -> None:
        if not self._outer:
            self._run("BEGIN")
            self.__dict__["_outer"] = True
        name = f"test_tx_{next(self._names)}"
        self._run(f"SAVEPOINT {name}")
        self._savepoints.append(name)
        self._of[id(connection)] = name

    def ending(self, connection: Any) -> None:
        """A SQLAlchemy connection is about to commit or roll back: its savepoint is the one."""
        self.__dict__["_ending"] = self._of.pop(id(connection), None)

    @property
    def depth(self) -> int:
        """How many of the app's transactions are open right now."""
        return len(self._savepoints)

    def reset(self) -> None:
        """Roll back everything since the test began."""
        self._savepoints.clear()
        self._of.clear()
        if self._outer:
            self._real.rollback()
            self.__dict__["_outer"] = False

    def _run(self, statement: str) -> None:
        cursor = self._real.cursor()
        try:
            cursor.execute(statement)
        finally:
            cursor.close()


class RollbackDatabase:
    """The rollback database of one pytest process: its shared connection and the engine options
    that make every app use it."""

    def __init__(self, url: str, schema: str = "") -> None:
        connect_args: dict[str, Any] = {}
        if url.startswith("sqlite"):
            connect_args = {"check_same_thread": False}
        elif schema:
            connect_args = {"options": f"-csearch_path={schema}"}
        raw_engine = sa.create_engine(url, poolclass=sa.pool.NullPool, connect_args=connect_args)
        fairy = raw_engine.raw_connection()
        fairy.detach()  # ours for the whole run, never back in a pool
        real = fairy.dbapi_connection
        self._raw_engine = raw_engine
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        if self.dialect == "sqlite":
            real.isolation_level = None  # the app's own set-up does this too; BEGIN is ours to emit
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=15000"):
                real.execute(f"PRAGMA {pragma}")  # outside any transaction, where they take effect
        self.connection = SharedConnection(real, self.dialect)
        self.schema = schema

    def engine_options(self) -> dict[str, Any]:
        """``SQLALCHEMY_ENGINE_OPTIONS`` for an app on this database. SQLite's driver is handed the
        wrapper itself; PostgreSQL's is handed the real connection (psycopg checks its type), and
        the engine's dialect is told to commit and roll back through the wrapper (``attach``)."""
        real = self.connection if self.dialect == "sqlite" else self.connection._real
        return {"poolclass": StaticPool, "creator": lambda: real, "pool_pre_ping": False}

    def attach(self, engine: Engine) -> None:
        """Make ``engine`` open a savepoint for every transaction it begins (once per engine)."""
        if getattr(engine, "_rollback_attached", False):
            return
        shared = self.connection
        event.listen(engine, "begin", shared.open_savepoint)
        event.listen(engine, "commit", shared.ending)
        event.listen(engine, "rollback", shared.ending)
        if self.dialect != "sqlite":
            dialect = engine.dialect
            dialect.do_commit = lambda _dbapi_connection: shared.commit()  # type: ignore[method-assign]
            dialect.do_rollback = lambda _dbapi_connection: shared.rollback()  # type: ignore[method-assign]
            dialect.do_close = lambda _dbapi_connection: None  # type: ignore[method-assign]
        engine._rollback_attached = True  # type: ignore[attr-defined]

    def reset(self) -> None:
        """After a test: everything it wrote is gone; on PostgreSQL ids start again from 1."""
        self.connection.reset()
        if self.dialect == "postgresql":
            self._restart_sequences()

    def _restart_sequences(self) -> None:
        cursor = self.connection._real.cursor()
        try:
            cursor.execute("SELECT setval(c.oid, 1, false) FROM pg_class c "
                           "JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "WHERE c.relkind = 'S' AND n.nspname = current_schema()")
        finally:
            cursor.close()
        self.connection._real.rollback()  # setval is not transactional: only the read is undone

    def close(self) -> None:
        self.connection.reset()
        self.connection._real.close()
        self._raw_engine.dispose()
