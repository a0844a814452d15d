"""The meeting providers the app knows, and building them from plain configuration keys.

This is the one place that maps provider names to classes and configuration, and the facts about
each provider live on its class (see ``MeetingProvider``): the app asks for them here, through
``facilitator.providers.hub``, instead of naming providers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import requests

from integrations.http import DEFAULT_TIMEOUT, JsonHttpClient, Timeout
from integrations.providers.base import MeetingProvider
from integrations.providers.link import LinkProvider
from integrations.providers.teams import (
    GRAPH_API_BASE,
    GRAPH_LOGIN_BASE,
    TeamsProvider,
    TeamsSettings,
)
from integrations.providers.zoom import ZOOM_API_BASE, ZOOM_OAUTH_URL, ZoomProvider, ZoomSettings
from integrations.tokens import MemoryTokenStore, TokenStore

# Every provider the app knows, in the order people are offered them. Each class carries its
# facts (label, required keys, pasted link, attendance import, daily cap, join hint).
PROVIDER_CLASSES: tuple[type[MeetingProvider], ...] = (ZoomProvider, TeamsProvider, LinkProvider)
BY_NAME: dict[str, type[MeetingProvider]] = {cls.name: cls for cls in PROVIDER_CLASSES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
DEFAULT_PROVIDER = ZoomProvider.name  # what a new group uses unless told otherwise


def provider_class(name: str) -> type[MeetingProvider] | None:
    return BY_NAME.get(name)


_TRUE = {"1", "true", "yes", "on"}


def is_connected(name: str, config: Mapping[str, Any]) -> bool:
    """True when every key the provider needs is set; unknown names are never connected."""
    cls = BY_NAME.get(name)
    return cls is not None and all(str(config.get(key) or "").strip() for key in cls.required_keys)


def build_providers(
    config: Mapping[str, Any],
    *,
    token_store: TokenStore | None = None,
    session: requests.Session | None = None,
) -> dict[str, MeetingProvider]:
    """Every connected provider, keyed by name. All share one session and token store."""
    store = token_store or MemoryTokenStore()
    session = session or requests.Session()
    timeout = _timeout(config.get("HTTP_TIMEOUT"))

    def http(service: str) -> JsonHttpClient:
        return JsonHttpClient(service=service, session=session, timeout=timeout)

    builders: dict[str, Callable[[], MeetingProvider]] = {
        ZoomProvider.name: lambda: ZoomProvider(
            _zoom_settings(config), http=http(ZoomProvider.label), token_store=store
        ),
        TeamsProvider.name: lambda: TeamsProvider(
            _teams_settings(config), http=http(TeamsProvider.label), token_store=store
        ),
        LinkProvider.name: LinkProvider,
    }
    return {name: build() for name, build in builders.items() if is_connected(name, config)}


def _zoom_settings(config: Mapping[str, Any]) -> ZoomSettings:
    return ZoomSettings(
        account_id=str(config["ZOOM_ACCOUNT_ID"]).strip(),
        client_id=str(config["ZOOM_CLIENT_ID"]).strip(),
        client_secret=str(config["ZOOM_CLIENT_SECRET"]).strip(),
        host_user=str(config["ZOOM_HOST_USER"]).strip(),
        api_base=config.get("ZOOM_API_BASE") or ZOOM_API_BASE,
        oauth_url=config.get("ZOOM_OAUTH_URL") or ZOOM_OAUTH_URL,
        waiting_room=_flag(config.get("ZOOM_WAITING_ROOM"), default=True),
        join_before_host=_flag(config.get("ZOOM_JOIN_BEFORE_HOST"), default=False),
    )


def _teams_settings(config: Mapping[str, Any]) -> TeamsSettings:
    return TeamsSettings(
        tenant_id=str(config["GRAPH_TENANT_ID"]).strip(),
        client_id=str(config["GRAPH_CLIENT_ID"]).strip(),
        client_secret=str(config["GRAPH_CLIENT_SECRET"]).strip(),
        organizer=str(config["GRAPH_ORGANIZER"]).strip(),
        api_base=config.get("GRAPH_API_BASE") or GRAPH_API_BASE,
        login_base=config.get("GRAPH_LOGIN_BASE") or GRAPH_LOGIN_BASE,
    )


def _flag(value: Any, *, default: bool) -> bool:
    """Booleans may arrive as strings from the environment."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def _timeout(value: Any) -> Timeout:
    """``(connect, read)`` seconds; a single number is used for both."""
    if value is None or value == "":
        return DEFAULT_TIMEOUT
    if isinstance(value, int | float):
        return (float(value), float(value))
    connect, read = value
    return (float(connect), float(read))
