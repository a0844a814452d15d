"""``flask --app facilitator replies fetch``: the calendar-replies worker, for cron or a service."""

from __future__ import annotations

import click
from flask import current_app

from facilitator import queue
from facilitator.extensions import db
from facilitator.replies import worker
from integrations.imap import ImapError


@click.group("replies")
def replies_command() -> None:
    """Read Accept/Decline answers from calendar clients out of the organizer mailbox."""


@replies_command.command("fetch")
@click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=60, show_default=True, help="Seconds between passes with --loop.")
def fetch_command(loop: bool, interval: int) -> None:
    """Read new messages once (or, with --loop, keep going). Safe to run several at once; with no
    IMAP_HOST it says so and does nothing."""
    if not current_app.config["IMAP_HOST"] and loop:
        click.echo("Replies: IMAP_HOST is not set, so there is no mailbox to read; waiting.", err=True)

    def one_pass() -> None:
        try:
            result = worker.run_once()
        except ImapError as exc:
            db.session.rollback()
            if not loop:
                raise click.ClickException(str(exc)) from None
            click.echo(f"Replies: {exc}; trying again in {interval} s.", err=True)
            return
        finally:
            db.session.remove()
        if current_app.config["IMAP_HOST"]:
            click.echo(f"Replies: {result.summary()}.")
        elif not loop:  # a looping worker said so once, at its start
            for line in result.messages:
                click.echo(line)

    queue.run_passes(one_pass, loop=loop, interval=interval)
