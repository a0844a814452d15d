"""Confidential session notes, the reflective supervision log and the audit trail that guards them."""

from __future__ import annotations

from flask import Flask

# How the audit trail names each action, on its pages.
AUDIT_LABELS = {"create": "Created", "read": "Read", "update": "Changed", "share": "Shared with supervisor",
                "unshare": "Stopped sharing", "delete": "Deleted", "purge": "Deleted (retention)",
                "view_audit": "Viewed the audit", "rotate": "Re-encrypted under a new key",
                "send_account_link": "Emailed a link to choose a password",
                "reset_two_factor": "Reset two-step sign-in", "comment": "Commented"}


def init_app(app: Flask) -> None:
    """The notes keyring (a missing or wrong key leaves notes unavailable, never the app), the
    pages, and the answers to a refused or impossible read."""
    from facilitator.supervision import crypto, views
    from facilitator.supervision.crypto import NotesUnavailable
    from facilitator.supervision.http import handle_denied, handle_unavailable
    from facilitator.supervision.services import Denied

    crypto.init_app(app)
    app.register_blueprint(views.bp)
    app.register_error_handler(Denied, handle_denied)
    app.register_error_handler(NotesUnavailable, handle_unavailable)
    app.jinja_env.globals["audit_event_labels"] = AUDIT_LABELS
