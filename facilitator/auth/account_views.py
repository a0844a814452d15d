"""The signed-in user's own account: password, two-factor sign-in, sessions and recent sign-ins.

Every account page is `@no_store`: they show set-up keys and recovery codes."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from facilitator import sealed
from facilitator.access import STAFF, allow
from facilitator.auth import api_tokens, mfa, qr, queries, services, totp
from facilitator.auth.blueprint import bp
from facilitator.auth.flow import user_agent
from facilitator.auth.forms import (
    ChangePasswordForm,
    ConfirmPasswordForm,
    EnrolForm,
    RevokeTokenForm,
    SignOutEverywhereForm,
)
from facilitator.errors import DomainError
from facilitator.forms import show_errors
from facilitator.security import no_store

SETUP_KEY = "totp_setup"  # the secret being set up, encrypted, in the signed session cookie
SETUP_MAX_AGE = 3600
CODES_KEY = "recovery_codes"  # new recovery codes, encrypted, until they have been shown once
CODES_PURPOSE = "recovery-codes-display"
CODES_MAX_AGE = 600


def _rotate_session(mfa_method: str | None) -> None:
    """After a password change ended every session: a fresh one for this browser."""
    session["sid"] = services.start_session(g.user, request.remote_addr, user_agent(), mfa_method)


def _without_password_field(form: Any, needed: bool) -> Any:
    if not needed:
        del form.current_password
    return form


def _entered_password(form: Any) -> str | None:
    field = getattr(form, "current_password", None)
    return field.data if field is not None else None


def _stash_codes(codes: list[str]) -> None:
    session[CODES_KEY] = sealed.encrypt(CODES_PURPOSE, json.dumps(codes).encode())


def _take_codes() -> list[str] | None:
    token = session.pop(CODES_KEY, None)
    if not token:
        return None
    try:
        return json.loads(sealed.decrypt(CODES_PURPOSE, token, CODES_MAX_AGE))
    except (sealed.InvalidToken, ValueError):
        return None


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _account_page(off_form: ConfirmPasswordForm | None = None, status: int = 200) -> Any:
    off_form = off_form or _without_password_field(ConfirmPasswordForm(), bool(g.user.password_hash))
    return render_template(
        "auth/account.html", sessions=queries.open_sessions(g.user), sign_ins=queries.sign_ins(g.user, 10),
        codes_left=mfa.recovery_codes_left(g.user) if g.user.has_mfa else 0,
        mfa_required=mfa.is_required(g.user), sign_out_form=SignOutEverywhereForm(), off_form=off_form,
        labels=queries.METHOD_LABELS, tokens=api_tokens.live_tokens(g.user),
        tokens_work=api_tokens.may_use_tokens(g.user), revoke_form=RevokeTokenForm()), status


@bp.route("/account", endpoint="account")
@allow(STAFF)
@no_store
def index() -> Any:
    return _account_page()


@bp.route("/account/password", methods=["GET", "POST"])
@allow(STAFF)
@no_store
def change_password() -> Any:
    if not g.user.password_hash:
        flash("You sign in with single sign-on, so you have no password here to change.", "info")
        return redirect(url_for("auth.account"))
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/change_password.html", form=form), _status()
    mfa_method = g.user_session.mfa_method
    try:
        services.change_password(g.user, form.current_password.data, form.password.data)
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("auth/change_password.html", form=form), 422
    _rotate_session(mfa_method)
    current_app.logger.info("User %s changed their password", g.user.id)
    flash("Your password has been changed, and you have been signed out on every other device.", "success")
    return redirect(url_for("auth.account"))


def _setup_secret() -> bytes:
    secret = mfa.decrypt_secret(session.get(SETUP_KEY), SETUP_MAX_AGE)
    if secret is None:
        secret = totp.new_secret()
        session[SETUP_KEY] = mfa.encrypt_secret(secret)
    return secret


@bp.route("/account/two-factor", methods=["GET", "POST"])
@allow(STAFF)
@no_store
def two_factor_setup() -> Any:
    replacing = g.user.has_mfa
    secret = _setup_secret()
    form = _without_password_field(EnrolForm(), replacing and bool(g.user.password_hash))
    if form.validate_on_submit():
        try:
            if replacing:
                mfa.confirm_password(g.user, _entered_password(form))
            codes = mfa.enable_totp(g.user, secret, form.code.data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            g.user_session.mfa_method = services.METHOD_TOTP
            services.end_other_sessions(g.user, session["sid"])
            session.pop(SETUP_KEY, None)
            _stash_codes(codes)
            current_app.logger.info("User %s set up two-factor sign-in", g.user.id)
            flash("Two-step sign-in is on. Other devices have been signed out.", "success")
            return redirect(url_for("auth.recovery_codes"))
    uri = totp.provisioning_uri(secret, g.user.email, str(current_app.config["MFA_ISSUER"]))
    return render_template("auth/two_factor_setup.html", form=form, replacing=replacing, uri=uri,
                           key=totp.display_key(secret), qr_svg=qr.svg_data_uri(uri),
                           required=mfa.is_required(g.user)), _status()


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@allow(STAFF)
@no_store
def recovery_codes() -> Any:
    if not g.user.has_mfa:
        return redirect(url_for("auth.two_factor_setup"))
    form = _without_password_field(ConfirmPasswordForm(), bool(g.user.password_hash))
    if form.validate_on_submit():
        try:
            mfa.confirm_password(g.user, _entered_password(form))
        except DomainError as exc:
            show_errors(form, exc)
        else:
            _stash_codes(mfa.new_recovery_codes(g.user))
            flash("New recovery codes made. The old ones no longer work.", "success")
            return redirect(url_for("auth.recovery_codes"))
    codes = _take_codes() if request.method == "GET" else None
    return render_template("auth/recovery_codes.html", codes=codes, form=form,
                           left=mfa.recovery_codes_left(g.user)), _status()


@bp.route("/account/two-factor/off", methods=["POST"])
@allow(STAFF)
@no_store
def two_factor_off() -> Any:
    if not g.user.has_mfa:
        return redirect(url_for("auth.account"))
    if mfa.is_required(g.user):
        flash("Your role needs two-step sign-in, so it cannot be turned off. "
              "You can set up a new authenticator app instead.", "error")
        return redirect(url_for("auth.account"))
    form = _without_password_field(ConfirmPasswordForm(), bool(g.user.password_hash))
    if not form.validate_on_submit():
        return _account_page(form, 422)
    try:
        mfa.confirm_password(g.user, _entered_password(form))
    except DomainError as exc:
        show_errors(form, exc)
        return _account_page(form, 422)
    mfa.disable_mfa(g.user)
    g.user_session.mfa_method = None
    flash("Two-step sign-in is off.", "success")
    return redirect(url_for("auth.account"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@allow(STAFF)
@no_store
def sign_out_everywhere() -> Any:
    if not SignOutEverywhereForm().validate_on_submit():
        flash("Nothing was changed: use the “Sign out everywhere” button.", "error")
        return redirect(url_for("auth.account"))
    services.end_all_sessions(g.user)
    session.clear()
    current_app.logger.info("User %s signed out everywhere", g.user.id)
    flash("You have been signed out on every device, this one included.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/api-tokens/<int:token_id>/revoke", methods=["POST"])
@allow(STAFF)
@no_store
def revoke_api_token(token_id: int) -> Any:
    if not RevokeTokenForm().validate_on_submit():
        flash("Nothing was changed: use the “Revoke” button on this page.", "error")
    elif api_tokens.revoke_api_token(g.user, token_id):
        flash("The API token was revoked: anything still using it will be refused.", "success")
    else:
        flash("That token is already revoked or expired.", "info")
    return redirect(url_for("auth.account", _anchor="api-tokens"))
