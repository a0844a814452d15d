"""Forgotten password: ask for a link by email, then choose a new password with it.

The emailed link is ``/password/reset?token=…``. Opening it moves the token into the signed
session cookie and redirects to the bare ``/password/reset``, so the token leaves the address bar
(and browser history) at once; both pages send ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from facilitator.access import PUBLIC, allow
from facilitator.auth import reset
from facilitator.auth.forms import ForgotPasswordForm, ResetPasswordForm
from facilitator.errors import DomainError, NotFoundError
from facilitator.extensions import db
from facilitator.forms import apply_domain_errors

bp = Blueprint("password_reset", __name__, url_prefix="/password")

TOKEN_KEY = "reset_token"  # noqa: S105 - a session key name


@bp.before_request
def _no_referrer() -> None:
    g.referrer_policy = "no-referrer"


@bp.after_request
def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/forgot", methods=["GET", "POST"])
@allow(PUBLIC)
def forgot() -> Any:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 422 if request.method == "POST" else 200
    outcome = reset.request_reset(form.email.data, request.remote_addr)
    db.session.commit()
    if outcome is reset.Outcome.IP_LIMITED:
        form.form_errors.append("Too many reset requests from your network. Please try again in an hour.")
        return render_template("auth/forgot.html", form=form), 429
    return render_template("auth/forgot_sent.html", email=form.email.data,
                           minutes=current_app.config["PASSWORD_RESET_MINUTES"])


@bp.route("/reset", methods=["GET", "POST"])
@allow(PUBLIC)
def reset_password() -> Any:
    if request.method == "GET" and "token" in request.args:
        session[TOKEN_KEY] = request.args["token"][:200]
        return redirect(url_for("password_reset.reset_password"))
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
        db.session.rollback()
        return render_template("auth/reset_expired.html"), 410
    except DomainError as exc:
        db.session.rollback()
        apply_domain_errors(form, exc)
        return render_template("auth/reset.html", form=form), 422
    db.session.commit()
    session.clear()
    flash("Your password has been changed and you have been signed out everywhere. "
          "Sign in with your new password.", "success")
    return redirect(url_for("auth.login"))
