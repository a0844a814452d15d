"""``flask --app facilitator agreements remind``: queue due agreement reminders (cron or --loop)."""

from __future__ import annotations

import click

from facilitator import queue, transaction
from facilitator.conditions import reminders
from facilitator.database import write_intent
from facilitator.extensions import db


@click.group("agreements")
def agreements_command() -> None:
    """Protected-time agreements."""


@agreements_command.command("remind")
@click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=3600, show_default=True, help="Seconds between passes with --loop.")
def remind_command(loop: bool, interval: int) -> None:
    """Queue the sponsor's reminder (still waiting after 14 days) and the facilitators' review
    reminders; the outbox worker sends them. Each goes once."""
    def one_pass() -> None:
        with write_intent():
            queued = reminders.queue_due_reminders()
            transaction.commit()
        db.session.remove()
        click.echo(f"Agreement reminders queued: {queued}.")

    queue.run_passes(one_pass, loop=loop, interval=interval)
