"""Invitations: iMIP invites through a transactional outbox, join links, home pages and feeds."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.invites import outbox, queries, staff_views, views
    from facilitator.invites.quick_join import QuickJoin

    outbox.init_app(app)
    app.wsgi_app = QuickJoin(app, app.wsgi_app)  # type: ignore[method-assign]
    # For templates/invites/_session_summary.html, which a session's page includes.
    app.jinja_env.globals["invite_summary"] = queries.invite_summary
    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)
