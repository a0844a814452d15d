"""Plain-link provider, URL validation and the provider registry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from integrations.http import NotSupported
from integrations.providers.base import MeetingRequest
from integrations.providers.link import LinkProvider, validate_join_url
from integrations.providers.registry import build_providers, is_connected
from integrations.providers.teams import TeamsProvider
from integrations.providers.zoom import ZoomProvider
from integrations.tokens import MemoryTokenStore

ZOOM_KEYS = {
    "ZOOM_ACCOUNT_ID": "acct",
    "ZOOM_CLIENT_ID": "client",
    "ZOOM_CLIENT_SECRET": "secret",
    "ZOOM_HOST_USER": "host@example.com",
}
GRAPH_KEYS = {
    "GRAPH_TENANT_ID": "tenant",
    "GRAPH_CLIENT_ID": "client",
    "GRAPH_CLIENT_SECRET": "secret",
    "GRAPH_ORGANIZER": "5f1c2b7e-3d4a-4e8b-9c0d-1a2b3c4d5e6f",
}


def a_meeting(**changes) -> MeetingRequest:
    values = {
        "uid": "ses_1",
        "topic": "Peer support",
        "start": datetime(2026, 3, 10, 14, 0, tzinfo=UTC),
        "duration_minutes": 60,
        "timezone": "Europe/London",
        "join_url": "https://meet.example.org/peer-support",
    }
    return MeetingRequest(**{**values, **changes})


@pytest.mark.parametrize(
    "url",
    [
        "https://meet.example.org/peer-support",
        "https://meet.jit.si/CareHomePeerSupport?lang=en#config.startWithAudioMuted=true",
        "HTTPS://Example.org:8443/room",
        "https://zoom.us/j/85746065432?pwd=abc.1",
    ],
)
def test_valid_links_are_returned_unchanged(url):
    assert validate_join_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "Enter the meeting link"),
        ("http://meet.example.org/room", "https://"),
        ("javascript:alert(1)", "https://"),
        ("meet.example.org/room", "https://"),
        ("https:///room", "include the site"),
        ("https://", "include the site"),
        ("https://user:pass@meet.example.org/room", "user name or password"),
        ("https://user@meet.example.org/room", "user name or password"),
        ("https://meet.example.org/my room", "spaces"),
        (" https://meet.example.org/room", "spaces"),
        ("https://meet.example.org/room\n", "spaces"),
        ("https://meet.example.org/\x00room", "invisible"),
        ("https://meet.example.org/\u202eroom", "invisible"),
        ("https:\\\\evil.example", "backslashes"),
        ("https://meet.example.org:99999/room", "port"),
        ("https://meet.example.org/" + "a" * 2000, "too long"),
    ],
)
def test_invalid_links_are_refused_with_a_reason(url, reason):
    with pytest.raises(ValueError, match=reason):
        validate_join_url(url)


def test_link_provider_uses_our_uid_and_the_link():
    provider = LinkProvider()

    meeting = provider.create(a_meeting())

    assert meeting.meeting_id == "ses_1"
    assert meeting.join_url == "https://meet.example.org/peer-support"
    assert provider.update("ses_1", a_meeting()) is None
    assert provider.delete("ses_1") is None
    assert provider.find_existing(a_meeting()) is None


def test_link_provider_refuses_a_bad_link():
    with pytest.raises(ValueError, match="https://"):
        LinkProvider().create(a_meeting(join_url="http://insecure.example/room"))


def test_link_provider_has_no_attendance():
    with pytest.raises(NotSupported, match="not available for plain links"):
        LinkProvider().fetch_attendance("ses_1")


def test_meeting_request_needs_an_aware_start():
    with pytest.raises(ValueError, match="timezone-aware"):
        a_meeting(start=datetime(2026, 3, 10, 14, 0))


# --- registry ------------------------------------------------------------------------------


def test_without_keys_only_the_link_provider_exists():
    providers = build_providers({})

    assert list(providers) == ["link"]
    assert not is_connected("zoom", {})
    assert not is_connected("teams", {**GRAPH_KEYS, "GRAPH_CLIENT_SECRET": "  "})
    assert not is_connected("skype", ZOOM_KEYS)
    assert is_connected("link", {})


def test_connected_providers_are_built_with_defaults():
    providers = build_providers({**ZOOM_KEYS, **GRAPH_KEYS}, token_store=MemoryTokenStore())

    zoom, teams = providers["zoom"], providers["teams"]
    assert isinstance(zoom, ZoomProvider) and isinstance(teams, TeamsProvider)
    assert zoom.settings.api_base == "https://api.zoom.us/v2"
    assert zoom.settings.oauth_url == "https://zoom.us/oauth/token"
    assert zoom.settings.waiting_room is True and zoom.settings.join_before_host is False
    assert teams.settings.api_base == "https://graph.microsoft.com/v1.0"
    assert teams.settings.token_url == ("https://login.microsoftonline.com/tenant/oauth2/v2.0/token")
    assert zoom.http.timeout == (5.0, 15.0)
    assert {p.name for p in providers.values()} == set(providers)


def test_registry_reads_overrides_and_shares_the_session():
    session = requests.Session()
    config = {
        **ZOOM_KEYS,
        **GRAPH_KEYS,
        "ZOOM_API_BASE": "https://eu01api-www4local.zoom.us/v2/",
        "ZOOM_WAITING_ROOM": "false",
        "ZOOM_JOIN_BEFORE_HOST": True,
        "HTTP_TIMEOUT": [3, 10],
    }

    providers = build_providers(config, session=session)

    zoom = providers["zoom"]
    assert zoom.settings.api_base == "https://eu01api-www4local.zoom.us/v2"
    assert zoom.settings.waiting_room is False and zoom.settings.join_before_host is True
    assert zoom.http.timeout == (3.0, 10.0)
    assert zoom.http.session is session and providers["teams"].http.session is session
