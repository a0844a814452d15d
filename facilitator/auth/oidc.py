"""Optional single sign-on with OpenID Connect, through authlib's Flask client.

Any OpenID Connect issuer works by configuration (``OIDC_DISCOVERY_URL``, client id and secret).
authlib fetches the issuer's discovery document and keys, sends ``state``, ``nonce`` and a PKCE
challenge, and checks the ID token: its signature against the issuer's JWKS, ``iss``, ``aud``,
``exp``/``iat`` (two minutes' leeway) and the ``nonce``. This module adds our rules:

* the email must be **verified**: ``email_verified`` true, or (Microsoft Entra ID, whose tokens
  carry no ``email_verified``) ``xms_edov`` true, the optional claim saying the email's domain
  is verified by the tenant. Entra must use a tenant-specific issuer, not ``common``;
* it must belong to an **active** user here (no self-registration), and to one of
  ``OIDC_ALLOWED_DOMAINS`` when that is set;
* the identity provider's MFA counts as our second factor only when the ID token's ``amr``
  contains ``mfa`` (and ``OIDC_TRUST_IDP_MFA`` is on); otherwise a user with an authenticator
  set up here still enters a code, and one whose role needs two-factor must set it up.
"""

from __future__ import annotations

from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from sqlalchemy import select

from facilitator.auth import services
from facilitator.extensions import db
from facilitator.models import User

CLIENT_NAME = "sso"
EXTENSION = "facilitator.oidc"
SCOPES = "openid email profile"
_TRUE = (True, 1, "true", "True", "1")


def init_app(app: Flask) -> None:
    config = app.config
    if not config["OIDC_DISCOVERY_URL"]:
        return
    timeout = config["HTTP_TIMEOUT"]
    oauth = OAuth(app)
    oauth.register(
        CLIENT_NAME,
        client_id=config["OIDC_CLIENT_ID"],
        client_secret=config["OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=config["OIDC_DISCOVERY_URL"],
        client_kwargs={
            "scope": SCOPES,
            "code_challenge_method": "S256",
            "default_timeout": tuple(timeout) if isinstance(timeout, list | tuple) else timeout,
        },
    )
    app.extensions[EXTENSION] = oauth


def is_enabled() -> bool:
    return EXTENSION in current_app.extensions


def client() -> Any:
    return current_app.extensions[EXTENSION].create_client(CLIENT_NAME)


def allowed_domains() -> frozenset[str]:
    value = current_app.config["OIDC_ALLOWED_DOMAINS"]
    items = value.split(",") if isinstance(value, str) else (value or [])
    return frozenset(d.strip().lower().lstrip("@") for d in items if d.strip())


def verified_email(claims: dict[str, Any]) -> str | None:
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    if claims.get("email_verified") in _TRUE or claims.get("xms_edov") in _TRUE:
        return services.normalise_email(email)
    return None


def idp_did_mfa(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr")
    return bool(current_app.config["OIDC_TRUST_IDP_MFA"]) and isinstance(amr, list) and "mfa" in amr


def match_user(claims: dict[str, Any], ip: str | None, user_agent: str | None) -> services.SignInResult:
    """The active user whose verified email the ID token carries; every outcome is recorded."""
    email = verified_email(claims)
    if email is None:
        return services.SignInResult(None, "Your sign-in provider did not confirm your email address, "
                                           "so it cannot be used to sign in here.")
    domains = allowed_domains()
    user = db.session.scalar(select(User).where(User.email == email, User.is_active))
    if domains and email.rpartition("@")[2] not in domains:
        user, error = None, "Single sign-on is not allowed for your email domain."
    else:
        error = f"There is no active account for {email}. Ask an administrator to add you."
    services.record_attempt(email, user is not None, services.METHOD_SSO, ip, user_agent)
    return services.SignInResult(user, None if user else error)
