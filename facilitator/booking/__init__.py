"""Booking sessions on Zoom, Microsoft Teams or a pasted link, and keeping the providers in step.

``services`` holds the booking rules, ``sync`` brings every pending change to the provider
(through ``facilitator.providers``), ``queries`` reads for the pages, ``views`` are the screens.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from facilitator.booking import queries, views
    from facilitator.providers import hub

    app.register_blueprint(views.bp)
    # Words for a session's provider and sync state (no query: the hub knows the labels).
    app.jinja_env.globals.update(sync_label=queries.sync_label,
                                 provider_label=lambda name: hub().label(name))
