"""Forgotten password: ask for a link by email, then choose a new password with it.

The emailed link is ``/password/reset?token=…``. Opening it moves the token into the signed
session cookie and redirects to the bare ``/password/reset``, so the token leaves the address bar
(and browser history) at once; both pages send ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for

from facilitator import transaction
from facilitator.access import PUBLIC, allow
from facilitator.auth import reset
from facilitator.auth.blueprint import bp
from facilitator.auth.forms import ForgotPasswordForm, ResetPasswordForm
from facilitator.errors import DomainError, NotFoundError
from facilitator.forms import show_errors
from facilitator.security import no_referrer, no_store

TOKEN_KEY = "reset_token"  # noqa: S105 - a session key name


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(PUBLIC)
@no_store
@no_referrer
def forgot() -> Any:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 422 if request.method == "POST" else 200
    outcome = reset.request_reset(form.email.data, request.remote_addr)
    transaction.keep_on_error()  # a refused request still counts towards the limits
    if outcome is reset.Outcome.IP_LIMITED:
        form.form_errors.append("Too many reset requests from your network. Please try again in an hour.")
        return render_template("auth/forgot.html", form=form), 429
    return render_template("auth/forgot_sent.html", email=form.email.data,
                           minutes=current_app.config["PASSWORD_RESET_MINUTES"])


@bp.route("/password/reset", methods=["GET", "POST"])
@allow(PUBLIC)
@no_store
@no_referrer  # the emailed link carries the reset token
def reset_password() -> Any:
    if request.method == "GET" and "token" in request.args:
        session[TOKEN_KEY] = request.args["token"][:200]
        return redirect(url_for("auth.reset_password"))
    token = session.get(TOKEN_KEY)
    if reset.valid_token(token) is None:
        session.pop(TOKEN_KEY, None)
        return render_template("auth/reset_expired.html"), 410
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/reset.html", form=form), 422 if request.method == "POST" else 200
    try:
        reset.complete_reset(token, form.password.data)
    except NotFoundError:
        return render_template("auth/reset_expired.html"), 410
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("auth/reset.html", form=form), 422
    session.clear()
    flash("Your password has been changed and you have been signed out everywhere. "
          "Sign in with your new password.", "success")
    return redirect(url_for("auth.login"))
