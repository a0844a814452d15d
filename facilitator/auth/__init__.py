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
    access.add_caller_checks(app, views.load_user, views.require_two_factor)  # then enforce_access
