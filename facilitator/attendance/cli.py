"""``flask --app facilitator attendance ...``: the import worker."""

from __future__ import annotations

import click

from facilitator import queue
from facilitator.attendance import worker
from facilitator.extensions import db


@click.group("attendance")
def attendance_command() -> None:
    """Attendance imports from Zoom and Microsoft Teams."""


@attendance_command.command("import-due")
@click.option("--limit", default=50, show_default=True, help="Imports to run at most in one pass.")
@click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=60, show_default=True, help="Seconds between passes with --loop.")
def import_due_command(limit: int, loop: bool, interval: int) -> None:
    """Queue imports for sessions that ended, then run the imports that are due."""
    def one_pass() -> None:
        report = worker.import_due(limit=limit)
        db.session.remove()
        for line in report.messages:
            click.echo(line, err=True)
        click.echo(f"Attendance: {report.summary()}.")

    queue.run_passes(one_pass, loop=loop, interval=interval)
