"""Single sign-on with OpenID Connect: off (404) unless ``OIDC_DISCOVERY_URL`` is configured."""

from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from flask import abort, current_app, flash, redirect, request, session, url_for
from joserfc.errors import JoseError

from facilitator.access import PUBLIC, allow
from facilitator.auth import oidc, services
from facilitator.auth.blueprint import bp
from facilitator.auth.flow import after_first_factor, complete_sign_in, safe_next, user_agent

NEXT_KEY = "sso_next"
FAILED = "Single sign-on did not work. Please try again, or sign in with your email and password."
# What can go wrong between us and the identity provider: its answers (refusals, bad or missing
# tokens, wrong state), its keys and signatures, and the network.
SSO_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError)


def _callback_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + url_for("auth.sso_callback")


@bp.route("/login/sso", endpoint="sso_start")
@allow(PUBLIC)
def start() -> Any:
    if not oidc.is_enabled():
        abort(404)
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return oidc.client().authorize_redirect(_callback_url())
    except SSO_ERRORS as exc:
        current_app.logger.warning("Single sign-on could not start: %s", type(exc).__name__)
        flash(FAILED, "error")
        return redirect(url_for("auth.login"))


@bp.route("/login/sso/callback", endpoint="sso_callback")
@allow(PUBLIC)
def callback() -> Any:
    if not oidc.is_enabled():
        abort(404)
    next_url = session.pop(NEXT_KEY, None)
    try:
        token = oidc.client().authorize_access_token()
        claims = token.get("userinfo")
        if not claims:
            raise ValueError("the token response has no ID token")
    except SSO_ERRORS as exc:
        # The reason goes to the log, never the token or the code.
        current_app.logger.warning("Single sign-on refused: %s: %s", type(exc).__name__, exc)
        flash(FAILED, "error")
        return redirect(url_for("auth.login"))
    result = oidc.match_user(dict(claims), request.remote_addr, user_agent())
    if result.user is None:
        flash(result.error, "error")
        return redirect(url_for("auth.login"))
    if oidc.idp_did_mfa(claims):
        return complete_sign_in(result.user, services.MFA_IDP, next_url)
    return after_first_factor(result.user, next_url, services.METHOD_SSO)
