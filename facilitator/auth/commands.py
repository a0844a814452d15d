"""``flask --app facilitator reset-mfa EMAIL``: for when no admin can sign in to do it on screen."""

from __future__ import annotations

import click
from flask import current_app
from sqlalchemy import select

from facilitator import transaction
from facilitator.auth import mfa
from facilitator.auth.services import normalise_email
from facilitator.extensions import db
from facilitator.models import User
from facilitator.supervision import audit


@click.command("reset-mfa")
@click.argument("email")
def reset_mfa_command(email: str) -> None:
    """Switch off a user's two-step sign-in and sign them out; they set it up again at next sign-in."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    mfa.reset_mfa(user, actor=None, origin=audit.CLI)
    transaction.commit()
    click.echo(f"Two-step sign-in reset for {user.email}; they have been signed out everywhere.", err=True)


def mfa_summary() -> str:
    """One line for the demo's instructions: whether sign-in will ask for an authenticator code."""
    roles = sorted(mfa.parse_roles(current_app.config["MFA_REQUIRED_ROLES"]))
    if not roles:
        return "Two-step sign-in: not required (FACILITATOR_MFA_REQUIRED_ROLES is empty)."
    return f"Two-step sign-in: required for {', '.join(roles)}; each account sets it up at first sign-in."
