"""``flask --app facilitator notes ...`` (keys, rotation, retention) and ``audit verify | rekey``."""

from __future__ import annotations

import click

from facilitator import transaction
from facilitator.clock import local_today
from facilitator.database import write_intent
from facilitator.supervision import audit, crypto, lifecycle, queries
from facilitator.supervision.crypto import NotesUnavailable


@click.group("notes")
def notes_command() -> None:
    """Encryption keys and retention of confidential notes and reflections."""


@notes_command.command("new-key")
def new_key_command() -> None:
    """Print a new key for NOTES_KEYS (32 random bytes, URL-safe base64) and nothing else."""
    click.echo(crypto.new_key())


@notes_command.command("rotate")
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10000),
              help="Rows re-encrypted per transaction.")
def rotate_command(batch_size: int) -> None:
    """Re-encrypt every note and reflection under the newest key in NOTES_KEYS, then re-sign the
    audit chain under it.

    Put the new key first in NOTES_KEYS and keep the old ones after it, run this, then remove the
    old keys. Each batch is committed on its own: interrupt it at any time and run it again.
    """
    ring = crypto.keyring()
    try:
        newest = ring.newest_id
    except NotesUnavailable as exc:
        raise click.ClickException(exc.message) from None
    transaction.commit()
    with write_intent():
        result = lifecycle.rotate_keys(
            batch_size, on_batch=lambda table, n: click.echo(f"{table}: {n} rows re-encrypted", err=True))
    click.echo(f"Re-encrypted {result.rotated} rows under key {newest}.")
    if result.failed:
        for line in result.failed:
            click.echo(f"  could not open {line}", err=True)
        raise click.ClickException(
            f"{len(result.failed)} rows could not be opened with the configured keys: add the key they "
            "were written with to NOTES_KEYS (after the newest) and run this again.")
    _rekey_audit_chain(accept_unkeyed=False)


@notes_command.command("purge")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted, and delete nothing.")
def purge_command(dry_run: bool) -> None:
    """Delete notes and supervision records older than NOTES_RETENTION_MONTHS (audited)."""
    cutoff = queries.retention_cutoff(local_today())
    if dry_run:
        items = queries.expired(cutoff)
        for item in items:
            click.echo(f"would delete {item.kind} {item.id} of user {item.owner_id}, dated {item.dated}")
        click.echo(f"{len(items)} records older than {cutoff} would be deleted (dry run: nothing deleted).")
        return
    transaction.commit()
    with write_intent():
        gone = lifecycle.purge(cutoff, None, audit.CLI)
        transaction.commit()
    for item in gone:
        click.echo(f"deleted {item.kind} {item.id} of user {item.owner_id}, dated {item.dated}", err=True)
    click.echo(f"Deleted {len(gone)} records older than {cutoff}.")


@click.group("audit")
def audit_command() -> None:
    """The audit trail of confidential records."""


@audit_command.command("verify")
def verify_command() -> None:
    """Check the hash chain; name the first audit row that was changed or removed."""
    result = audit.verify()
    if not result.ok:
        raise click.ClickException(f"{result.problem} Rows checked before it: {result.rows}.")
    click.echo(f"The audit trail is intact: {result.rows} rows. Last hash {result.head_hash}")


@audit_command.command("rekey")
@click.option("--accept-unkeyed", is_flag=True,
              help="Also accept rows in the plain SHA-256 form written before the chain was keyed "
                   "(once, when upgrading; check the trail first).")
def rekey_command(accept_unkeyed: bool) -> None:
    """Check the chain, then re-sign it under the newest key in NOTES_KEYS.

    `notes rotate` does this itself; run it on its own when upgrading from the unkeyed chain.
    """
    _rekey_audit_chain(accept_unkeyed)


def _rekey_audit_chain(accept_unkeyed: bool) -> None:
    transaction.commit()
    try:
        with write_intent():
            result = audit.rekey(accept_unkeyed)
            if result.ok:
                transaction.commit()
    except NotesUnavailable as exc:
        raise click.ClickException(exc.message) from None
    if not result.ok:
        transaction.rollback()
        raise click.ClickException(result.problem or "")
    click.echo(f"The audit trail ({result.rows} rows) is signed with the newest key. "
               f"Last hash {result.head_hash}")
