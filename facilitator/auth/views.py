from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for

from facilitator.access import PUBLIC, STAFF, allow
from facilitator.auth import services
from facilitator.auth.forms import LoginForm, LogoutForm
from facilitator.extensions import db

bp = Blueprint("auth", __name__)


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
    app.before_request(load_user)


def load_user() -> None:
    """Find who is calling: an API token for the API, the server-side session otherwise.

    The API never accepts the session cookie, so it needs no CSRF protection.
    """
    g.user = None
    if request.path.startswith("/api/"):
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            g.user = services.load_token_user(token.strip())
        return
    sid = session.get("sid")
    if sid:
        g.user = services.load_session_user(sid)
        if g.user is None:
            session.clear()


def safe_next(target: str | None) -> str:
    """Only follow a ``next`` that stays on this site."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
def login() -> Any:
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        result = services.check_credentials(form.email.data, form.password.data, request.remote_addr)
        if result.user is None:
            db.session.commit()
            form.password.errors.append(result.error)
            return render_template("auth/login.html", form=form), 200
        session.clear()
        session["sid"] = services.start_session(
            result.user, request.remote_addr, request.user_agent.string
        )
        db.session.commit()
        current_app.logger.info("User %s signed in", result.user.id)
        return redirect(safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@allow(STAFF)
def logout() -> Any:
    if LogoutForm().validate_on_submit():
        services.end_session(session["sid"])
        db.session.commit()
    session.clear()
    flash("You have signed out.", "info")
    return redirect(url_for("auth.login"))
