"""``flask --app facilitator backup``: back up, wipe, restore, and every row and note is back.

Each test has a database of its own (a SQLite file, or a schema of its own on PostgreSQL), filled
by the benchmark's seeder: homes, groups, sessions, registers, joins, links and sealed notes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from bench import seed
from bench.seed import Spec
from facilitator import create_app
from facilitator.auth.passwords import hash_password
from facilitator.backup import BackupError, backup_sqlite, pg_dump_command, pg_restore_command
from facilitator.extensions import db
from facilitator.models import JoinRecord, SessionNote, SupervisionRecord
from facilitator.supervision.crypto import keyring, new_key
from tests.conftest import base_config
from tests.support import dbsetup

pytestmark = pytest.mark.real_commits  # the backup reads the database file itself

SPEC = Spec.at(0.01, sessions_per_group=6, future_sessions=2, notes=30)


@pytest.fixture
def world_app(tmp_path: Path) -> Iterator[Flask]:
    with dbsetup.database(tmp_path, name="backup") as database:
        app = create_app(base_config(database, NOTES_KEYS=new_key()),
                         instance_path=str(tmp_path / "instance"))
        with app.app_context():
            upgrade(revision="heads")
            with db.engine.begin() as connection:
                seed.populate(connection, SPEC, keyring(), password_hash=hash_password(seed.PASSWORD))
            db.engine.dispose()
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in primary-key order."""
    rows = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in db.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
        db.engine.dispose()
    return rows


def open_every_note(app: Flask) -> int:
    """Decrypt every sealed row with the app's keys (raises if any fails its integrity check)."""
    opened = 0
    with app.app_context():
        ring = keyring()
        for model in (SessionNote, SupervisionRecord):
            for row in db.session.scalars(sa.select(model)):
                assert ring.decrypt(row.key_id, row.ciphertext, row.associated_data())
                opened += 1
        db.session.remove()
        db.engine.dispose()
    return opened


def wipe(app: Flask) -> None:
    with app.app_context():
        url, schema = app.config["DATABASE_URL"], app.config["DATABASE_SCHEMA"]
        db.engine.dispose()
    if url.startswith("sqlite"):
        path = Path(sa.engine.make_url(url).database)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def test_backup_wipe_restore_brings_every_row_and_note_back(world_app: Flask, tmp_path: Path) -> None:
    before = snapshot(world_app)
    assert len(before["session_notes"]) == SPEC.notes and before["attendance_entries"]
    target = tmp_path / "backup.dump"
    result = world_app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.exists() and target.stat().st_size > 0
    postgres = world_app.config["DATABASE_URL"].startswith("postgresql")
    if postgres:
        assert "pg_dump --format=custom" in result.output and "pg_restore" in result.output

    wipe(world_app)
    restore(world_app, target)

    assert snapshot(world_app) == before
    assert open_every_note(world_app) == len(before["session_notes"]) + len(before["supervision_records"])


def restore(app: Flask, target: Path) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        result = app.test_cli_runner().invoke(args=["backup", "--restore", str(target)])
        assert result.exit_code == 0, result.output
        return
    command = pg_restore_command(url, target)
    password = sa.engine.make_url(url).password
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr


def test_an_existing_file_is_kept_unless_forced(world_app: Flask, tmp_path: Path) -> None:
    target = tmp_path / "backup.dump"
    target.write_text("keep me")
    runner = world_app.test_cli_runner()
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and "--force" in result.output
    assert target.read_text() == "keep me"
    assert runner.invoke(args=["backup", "--force", str(target)]).exit_code == 0


def test_sqlite_backup_is_consistent_while_the_app_writes(world_app: Flask, tmp_path: Path) -> None:
    """The online backup runs while another connection keeps adding join records."""
    url = world_app.config["DATABASE_URL"]
    if not url.startswith("sqlite"):
        pytest.skip("the online backup API is SQLite's; PostgreSQL's pg_dump takes a snapshot")
    source = Path(sa.engine.make_url(url).database)
    with world_app.app_context():
        first = db.session.scalar(sa.select(JoinRecord).limit(1))
        template = {c: getattr(first, c) for c in ("session_id", "home_id", "contact_id")}
        before = db.session.scalar(sa.select(sa.func.count()).select_from(JoinRecord))
        db.session.remove()
    stop = threading.Event()
    written = []

    def writer() -> None:
        with world_app.app_context():
            while not stop.is_set():
                with db.engine.begin() as conn:
                    conn.execute(sa.insert(JoinRecord.__table__).values(
                        **template, joined_at=datetime.now(UTC), user_agent_family="Safari on iPad",
                        in_window=True, via="email"))
                written.append(1)
            db.engine.dispose()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for n in range(5):
            backup_sqlite(source, tmp_path / f"live-{n}.db")
    finally:
        stop.set()
        thread.join()
    assert written, "the writer never got in: the backup held the database"
    for n in range(5):
        copy = sa.create_engine(f"sqlite:///{tmp_path / f'live-{n}.db'}")
        with copy.connect() as conn:
            assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
            count = conn.execute(sa.text("SELECT count(*) FROM join_records")).scalar()
        copy.dispose()
        assert before <= count <= before + len(written)


def test_sqlite_backup_refuses_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no database"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "out.db")


def test_pg_dump_command_names_the_schema_and_hides_the_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://app:s3cret@db.internal:5433/facilitator"
    command, env = pg_dump_command(url, "prod", tmp_path / "f.dump")
    assert command[:2] == ["pg_dump", "--format=custom"]
    assert command[command.index("--schema"):command.index("--schema") + 2] == ["--schema", "prod"]
    assert "s3cret" not in " ".join(command) and env == {"PGPASSWORD": "s3cret"}
    assert command[-2:] == ["--dbname", "facilitator"]
    restore_cmd = pg_restore_command(url, tmp_path / "f.dump")
    assert "--clean" in restore_cmd and "s3cret" not in " ".join(restore_cmd)


def test_postgres_backup_without_pg_dump_prints_the_command(world_app: Flask, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    if not world_app.config["DATABASE_URL"].startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    result = world_app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.dump")])
    assert result.exit_code == 0, result.output
    assert "pg_dump is not on PATH" in result.output and not (tmp_path / "x.dump").exists()
