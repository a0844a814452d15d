"""``flask --app facilitator ...`` commands."""

from __future__ import annotations

import sys

import click
from flask import Flask, current_app
from sqlalchemy import select

from facilitator import transaction
from facilitator.admin import services
from facilitator.attendance.cli import attendance_command
from facilitator.auth.api_tokens import issue_api_token
from facilitator.auth.commands import mfa_summary, reset_mfa_command
from facilitator.auth.passwords import password_problem
from facilitator.auth.services import normalise_email
from facilitator.backup import backup_command
from facilitator.booking.sync import sync_command
from facilitator.conditions.cli import agreements_command
from facilitator.demo import STAFF, load_demo
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.followups.worker import follow_ups_command
from facilitator.invites.cli import outbox_command
from facilitator.invites.outbox import mail_backend, run_once
from facilitator.journey.cli import frameworks_command
from facilitator.models import Role, User
from facilitator.replies.cli import replies_command
from facilitator.supervision.cli import audit_command, notes_command

DEMO_PASSWORD = "demo-password-2024"  # noqa: S105 - the demo's published password


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(api_token_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(reset_mfa_command)
    app.cli.add_command(outbox_command)
    app.cli.add_command(sync_command)
    app.cli.add_command(notes_command)
    app.cli.add_command(audit_command)
    app.cli.add_command(attendance_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(replies_command)
    app.cli.add_command(frameworks_command)
    app.cli.add_command(agreements_command)
    app.cli.add_command(follow_ups_command)


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", default=None, help="Full name (defaults to the part of the email before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, name: str | None, password_stdin: bool) -> None:
    """Create a staff user and set their password."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    # The service accepts "no password" (for accounts set up later); an account made here must
    # have one, so an empty line on standard input is refused like any other too-short password.
    problem = password_problem(password)
    if problem:
        raise click.ClickException(f"Password refused: {problem}")
    try:
        user = services.create_user(email, name or email.split("@")[0], role, password)
    except DomainError as exc:
        transaction.rollback()
        _fail(exc)
    transaction.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).", err=True)


@click.command("api-token")
@click.argument("email")
@click.option("--label", default="", help="A note to recognise the token by.")
def api_token_command(email: str, label: str) -> None:
    """Print a new API token for a user (only the token goes to standard output)."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user with email {email}.")
    try:
        token = issue_api_token(user, label)
    except DomainError as exc:
        transaction.rollback()
        raise click.ClickException(f"No token made. {exc.message}") from None
    transaction.commit()
    days = current_app.config["API_TOKEN_DAYS"]
    click.echo(f"Made an API token for {user.email}; it works for {days} days (until it is revoked on their "
               "account page or it expires).", err=True)
    click.echo(token)


@click.command("demo")
@click.option("--password", default=DEMO_PASSWORD, show_default=True,
              help="Password given to every demo account.")
def demo_command(password: str) -> None:
    """Fill an empty database with a realistic demo, then say how to use it."""
    if db.session.scalar(select(User.id).limit(1)) is None:
        accounts = load_demo(password)
        transaction.commit()
        # The invitations the demo queued go out now (the outbox worker sends the rest).
        click.echo(f"Demo data loaded. Outbox: {run_once().summary()}.")
    else:
        accounts = [(email, role.value) for email, _, role in STAFF]
        click.echo("The database already has users: the demo data is not loaded again.")
    for line in demo_banner(accounts, password):
        click.echo(line)


def demo_banner(accounts: list[tuple[str, str]], password: str) -> list[str]:
    """Where the app is, who to sign in as, and where its emails go."""
    where = getattr(mail_backend(), "directory", None)
    mail = (f"Emails are written as .eml files to {where} (MAIL_BACKEND=file)." if where
            else f"Emails go out through {current_app.config['MAIL_BACKEND']}.")
    return ["", f"Facilitator: {current_app.config['PUBLIC_BASE_URL']}/login", "Sign in as:",
            *(f"  {role:<12} {email:<36} password: {password}" for email, role in accounts),
            mail, "The outbox, provider sync, attendance import and calendar-replies workers run alongside "
            "the web app.",
            mfa_summary(), ""]
