"""Signing in (password, then the second factor when the user has one) and out; who is calling."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from facilitator import transaction
from facilitator.access import PUBLIC, STAFF, allow, allowed_roles
from facilitator.auth import api_tokens, mfa, oidc, services
from facilitator.auth.blueprint import bp
from facilitator.auth.flow import (
    after_first_factor,
    complete_sign_in,
    pending_sign_in,
    safe_next,
    user_agent,
)
from facilitator.auth.forms import LoginForm, LogoutForm, TwoFactorForm

__all__ = ["load_user", "require_two_factor", "safe_next"]

# What a user who must set up two-factor may still reach before they have.
ENROLMENT_ENDPOINTS = frozenset({"auth.two_factor_setup", "auth.logout", "static"})
# Pages outside the API that also take an API token (sent as a bearer token, the cookie is then ignored).
TOKEN_PAGES = frozenset({"/reports/attendance.csv"})


def load_user() -> None:
    """Find who is calling: an API token for the API, the server-side session otherwise.

    The API never accepts the session cookie, so it needs no CSRF protection.
    """
    g.user = None
    g.user_session = None
    token_page = request.path in TOKEN_PAGES and "Authorization" in request.headers
    if request.path.startswith("/api/") or token_page:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            g.user = api_tokens.load_token_user(token.strip())
        return
    sid = session.get("sid")
    if sid:
        g.user_session = services.load_session(sid)
        g.user = g.user_session.user if g.user_session else None
        if g.user is None:
            session.clear()


def require_two_factor() -> Any:
    """A signed-in user whose role needs two-factor, in a session without it, goes to set it up."""
    row = g.get("user_session")
    if row is None or row.mfa_method or not mfa.is_required(g.user):
        return None
    endpoint = request.endpoint or ""
    roles = allowed_roles(current_app, endpoint) if endpoint else None
    if endpoint in ENROLMENT_ENDPOINTS or (roles is not None and PUBLIC in roles):
        return None
    if g.user.has_mfa:
        # Signed in before their role needed it: prove the second factor by signing in again.
        services.end_session(session["sid"])
        session.clear()
        flash("Your account now needs two-step sign-in. Please sign in again.", "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.two_factor_setup"))


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login() -> Any:
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = services.check_credentials(form.email.data, form.password.data, request.remote_addr,
                                            user_agent())
        if result.user is None:
            form.password.errors.append(result.error)
            return render_template("auth/login.html", form=form, sso=oidc.is_enabled()), 200
        return after_first_factor(result.user, form.next.data, services.METHOD_PASSWORD)
    return render_template("auth/login.html", form=form, sso=oidc.is_enabled())


@bp.route("/login/two-factor", methods=["GET", "POST"])
@allow(PUBLIC)
def two_factor() -> Any:
    pending = pending_sign_in()
    if pending is None:
        flash("Please sign in again: two-step sign-in must be finished within 5 minutes.", "info")
        return redirect(url_for("auth.login"))
    user, state = pending
    form = TwoFactorForm()
    if not form.validate_on_submit():
        return render_template("auth/two_factor.html", form=form), 422 if request.method == "POST" else 200
    result = mfa.check_second_factor(user, form.code.data, request.remote_addr, user_agent())
    if result.method is None:
        transaction.keep_on_error()  # the failed attempt counts towards the throttle
        form.code.errors.append(result.error)
        return render_template("auth/two_factor.html", form=form), 422
    response = complete_sign_in(user, result.method, state.get("next"))  # clears the cookie session
    if result.method == services.METHOD_RECOVERY:
        left = mfa.recovery_codes_left(user)
        flash(f"You used a recovery code; {left} left. Each one works only once. "
              "You can make new ones from your account page.", "warning" if left < 4 else "info")
    return response


@bp.route("/logout", methods=["POST"])
@allow(STAFF)
def logout() -> Any:
    if LogoutForm().validate_on_submit():
        services.end_session(session["sid"])
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
