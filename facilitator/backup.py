"""Backups: ``flask --app facilitator backup PATH``.

**SQLite** (the embedded default): the database is copied with SQLite's online backup API while
the app keeps running. The copy is made a few pages at a time, so writers are held up only for
moments, and it is a consistent snapshot: a write that lands during the copy restarts it. It is
written beside ``PATH`` first, checked with ``PRAGMA integrity_check`` and then moved into place,
so ``PATH`` is either the old file or a whole new backup.

Restore (stop the app and its workers first, so nothing writes meanwhile)::

    flask --app facilitator backup --restore PATH     # copies PATH over the configured database

or by hand: ``sqlite3 instance/facilitator.db ".restore PATH"``.

**PostgreSQL** (production): the command prints the ``pg_dump`` command for the configured
database (custom format; only ``DATABASE_SCHEMA`` when one is set) and runs it when ``pg_dump``
is on ``PATH``. The password is never printed: it goes to ``pg_dump`` in ``PGPASSWORD``. Use a
``pg_dump`` of the server's major version or newer. Restore with the printed ``pg_restore``
command (``--clean --if-exists`` replaces what is there; run it with the app stopped)::

    pg_restore --clean --if-exists --no-owner --exit-on-error --dbname <database> PATH

Confidential notes stay encrypted in the backup (the ciphertext is copied as it is): a restored
database needs the same ``NOTES_KEYS`` to open them, so keep the keys, separately, with the backups.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

PAGES_PER_STEP = 256
SLEEP_BETWEEN_STEPS = 0.005


class BackupError(Exception):
    pass


@dataclass
class Backup:
    path: Path
    database: str  # "sqlite" or "postgresql"
    command: list[str] = field(default_factory=list)  # pg_dump, as printed (no password)
    ran: bool = True
    restore: list[str] = field(default_factory=list)


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def backup_sqlite(source: Path, target: Path, busy_timeout: float = 15.0) -> None:
    """Copy a live SQLite database with the online backup API, atomically into ``target``."""
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=busy_timeout)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=PAGES_PER_STEP, sleep=SLEEP_BETWEEN_STEPS)
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy failed its integrity check: {check}")
    os.replace(partial, target)


def restore_sqlite(backup: Path, target: Path, busy_timeout: float = 15.0) -> None:
    """Copy a backup over the database (with the backup API, so WAL files stay consistent)."""
    if not backup.exists():
        raise BackupError(f"There is no backup at {backup}.")
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=busy_timeout)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _pg_connection_args(url: str) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    args = []
    if u.host:
        args += ["--host", u.host]
    if u.port:
        args += ["--port", str(u.port)]
    if u.username:
        args += ["--username", u.username]
    env = {"PGPASSWORD": u.password} if u.password else {}
    return args, env


def pg_dump_command(url: str, schema: str, target: Path) -> tuple[list[str], dict[str, str]]:
    """The ``pg_dump`` command line (no password in it) and the environment it needs."""
    args, env = _pg_connection_args(url)
    command = ["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args]
    if schema:
        command += ["--schema", schema]
    return [*command, "--dbname", make_url(url).database or "postgres"], env


def pg_restore_command(url: str, target: Path) -> list[str]:
    args, _env = _pg_connection_args(url)
    return ["pg_restore", "--clean", "--if-exists", "--no-owner", "--exit-on-error", *args,
            "--dbname", make_url(url).database or "postgres", str(target)]


def backup_postgres(url: str, schema: str, target: Path, run: bool | None = None) -> Backup:
    """Print-ready ``pg_dump``; run it when ``run`` (default: when pg_dump is on PATH)."""
    command, env = pg_dump_command(url, schema, target)
    result = Backup(target, "postgresql", command, ran=False, restore=pg_restore_command(url, target))
    if run is False or (run is None and shutil.which("pg_dump") is None):
        return result
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    command_now = [partial.as_posix() if part == str(target) else part for part in command]
    completed = subprocess.run(command_now, env={**os.environ, **env}, capture_output=True, text=True,  # noqa: S603
                               timeout=3600, check=False)
    if completed.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed ({completed.returncode}): {completed.stderr.strip()[:2000]}")
    os.replace(partial, target)
    result.ran = True
    return result


def backup(url: str, schema: str, target: Path, run_pg_dump: bool | None = None) -> Backup:
    if url.startswith("sqlite"):
        source = sqlite_path(url)
        backup_sqlite(source, target)
        return Backup(target, "sqlite", restore=["flask", "--app", "facilitator", "backup", "--restore",
                                                 str(target)])
    if url.startswith("postgresql"):
        return backup_postgres(url, schema, target, run_pg_dump)
    raise BackupError(f"Backups of {make_url(url).get_backend_name()} databases are not supported.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH when it already exists.")
@click.option("--restore", "restore_from", is_flag=True,
              help="SQLite: copy the backup at PATH over the database (stop the app first).")
@with_appcontext
def backup_command(path: Path, force: bool, restore_from: bool) -> None:
    """Back the database up to PATH (SQLite: online, while the app runs; PostgreSQL: pg_dump).

    Restoring: SQLite, `backup --restore PATH` with the app stopped; PostgreSQL, the pg_restore
    command printed after the backup. Notes stay encrypted: keep NOTES_KEYS with the backups.
    """
    url, schema = current_app.config["DATABASE_URL"], current_app.config["DATABASE_SCHEMA"]
    try:
        if restore_from:
            _restore(url, path)
            return
        if path.exists() and not force:
            raise click.ClickException(f"{path} exists; give --force to replace it.")
        result = backup(url, schema, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if result.database == "postgresql":
        click.echo("pg_dump command (the password, if any, is passed in PGPASSWORD):")
        click.echo("  " + " ".join(result.command))
        if not result.ran:
            click.echo("pg_dump is not on PATH: run the command above where it is.")
            return
    size = path.stat().st_size
    click.echo(f"Backed up to {path} ({size / 1_048_576:.1f} MB).")
    click.echo("Restore with (app stopped): " + " ".join(result.restore))
    click.echo("Confidential notes need the same NOTES_KEYS to open after a restore.")


def _restore(url: str, path: Path) -> None:
    if not url.startswith("sqlite"):
        raise click.ClickException("On PostgreSQL restore with pg_restore (see `backup --help`):\n  "
                                   + " ".join(pg_restore_command(url, path)))
    restore_sqlite(path, sqlite_path(url))
    click.echo(f"Restored the database from {path}. Start the app again.")
