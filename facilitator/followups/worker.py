"""The follow-ups' pass: open what the engagement report calls for, wake ended snoozes,
escalate overdue follow-ups to the leads, and queue the facilitators' daily digest of new
apologies after ``APOLOGY_DIGEST_HOUR`` (``facilitator.attendance.apology_digest``; the emails go
through the outbox).

``flask --app facilitator follow-ups run`` runs one pass (cron-safe; several at once are fine:
the unique index decides the openers, ``escalated_at`` the escalations), or with ``--loop`` one
every ``--interval`` seconds (the Procfile's ``followups`` process, every 15 minutes).

Only the pass opens follow-ups. Opening them after each register save as well was measured and
is not cheap: the group's report and the follow-up look-ups add five statements to the save,
past the 15 the benchmark allows a page (``tests/test_n_plus_one.py``), and the save would wait
on them. A home that slips is followed up within the pass's interval instead.
"""

from __future__ import annotations

import click

from facilitator import queue, transaction
from facilitator.attendance.apology_digest import queue_apology_digests
from facilitator.clock import local_today, now_utc
from facilitator.database import write_intent
from facilitator.extensions import db
from facilitator.followups import escalation, opening, services


def run_once() -> queue.RunReport:
    """One pass, in one transaction, committed at its end."""
    result = queue.RunReport(("opened", "opened"), ("woken", "back from a snooze"),
                             ("escalated", "escalated to the leads"),
                             ("digests", "apology digests queued"))
    now = now_utc()
    with write_intent():
        result.add("woken", count=services.wake_snoozed(local_today()))
        needing = opening.needing_attention(now=now)
        result.add("opened", count=opening.open_missing(now=now, needing=needing))
        result.add("escalated", count=escalation.escalate_due(now, needing))
        result.add("digests", count=queue_apology_digests(now))
        transaction.commit()
    return result


@click.group("follow-ups")
def follow_ups_command() -> None:
    """Follow-ups of homes that are slipping."""


@follow_ups_command.command("run")
@click.option("--loop", is_flag=True, help="Keep running, one pass every --interval seconds.")
@click.option("--interval", default=900, show_default=True, help="Seconds between passes with --loop.")
def run_command(loop: bool, interval: int) -> None:
    """Open follow-ups for homes at risk or disengaged, wake ended snoozes, escalate to the leads,
    queue the daily apology digests."""
    def one_pass() -> None:
        result = run_once()
        db.session.remove()
        click.echo(f"Follow-ups: {result.summary()}.")

    queue.run_passes(one_pass, loop=loop, interval=interval)
