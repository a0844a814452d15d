"""Meeting providers from the app's side: ``hub`` (what each provider is, and the connected
clients with their shared token store) and ``gate`` (the circuit breaker and the per-host daily
budget every provider call passes through)."""

from __future__ import annotations

from flask import Flask, current_app

from facilitator.providers.hub import ProviderHub

EXTENSION = "facilitator.providers"


def init_app(app: Flask) -> None:
    """Build the providers once (a bad setting fails here, at start)."""
    app.extensions[EXTENSION] = ProviderHub(app.config)


def hub() -> ProviderHub:
    return current_app.extensions[EXTENSION]


__all__ = ["ProviderHub", "hub", "init_app"]
