"""Who is calling, and signing in: passwords (argon2), two-factor, password reset, single sign-on,
server-side sessions and API tokens. Every request is checked here before its view runs."""

from __future__ import annotations

from flask import Flask

from facilitator import access


def init_app(app: Flask) -> None:
    from facilitator.auth import account_views, oidc, reset_views, sso_views, views  # noqa: F401 - routes
    from facilitator.auth.blueprint import bp

    oidc.init_app(app)
    app.register_blueprint(bp)
    app.before_request(views.load_user)
    app.before_request(views.require_two_factor)
    app.before_request(access.enforce_access)  # after the user is known
