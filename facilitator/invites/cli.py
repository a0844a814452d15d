"""``flask --app facilitator outbox send | status``: the outbox worker, for cron or a service."""

from __future__ import annotations

import click
from flask import current_app

from facilitator import queue, transaction
from facilitator.extensions import db
from facilitator.invites import outbox, queries
from facilitator.invites.digest import queue_overdue_digests
from integrations.mailer import FileBackend


@click.group("outbox")
def outbox_command() -> None:
    """Deliver queued email (invites, updates, cancellations, reminders)."""


@outbox_command.command("send")
@click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=30, show_default=True, help="Seconds between passes with --loop.")
@click.option("--limit", type=int, default=None, help="Messages per pass (default OUTBOX_BATCH_SIZE).")
def send_command(loop: bool, interval: int, limit: int | None) -> None:
    """Queue due reminders, then send due messages. Safe to run from cron, several at once."""
    def one_pass() -> None:
        result = outbox.run_once(limit=limit)
        db.session.remove()
        click.echo(f"Outbox: {result.summary()}.")

    queue.run_passes(one_pass, loop=loop, interval=interval)
    backend = outbox.mail_backend()
    if isinstance(backend, FileBackend):
        click.echo(f"Email is written as .eml files to {backend.directory} (MAIL_BACKEND=file).")


@outbox_command.command("digest")
def digest_command() -> None:
    """Queue this week's digest of overdue actions now, whatever the weekday (once a week each).

    ``send`` queues it by itself from ACTION_DIGEST_WEEKDAY on; the next ``send`` delivers it."""
    queued = queue_overdue_digests(any_day=True)
    transaction.commit()
    click.echo(f"Action digests queued: {queued}.")


@outbox_command.command("status")
def status_command() -> None:
    """Count messages by status."""
    counts = queries.outbox_counts()
    click.echo(", ".join(f"{status}: {n}" for status, n in counts.items()))
    click.echo(f"Mail backend: {current_app.config['MAIL_BACKEND']}")
