"""Invitations: iMIP invites, updates and cancellations, reminders and account emails through a
transactional outbox, and the staff screens for a session's invitations and the outbox."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.invites import outbox, staff_views

    outbox.init_app(app)  # the mail backend, built once from config
    app.register_blueprint(staff_views.bp)
