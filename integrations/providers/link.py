"""A meeting held at a link the facilitator pastes in (Jitsi, Whereby, a Zoom room...)."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from integrations.http import NotSupported
from integrations.providers.base import (
    MeetingProvider,
    MeetingRequest,
    Participant,
    PastInstance,
    ProviderMeeting,
)

MAX_URL_LENGTH = 2000


def validate_join_url(url: str) -> str:
    """Return ``url`` if people can safely be sent to it, else raise ValueError saying why."""
    if not url:
        raise ValueError("Enter the meeting link.")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"The meeting link is too long (at most {MAX_URL_LENGTH} characters).")
    if any(char.isspace() or unicodedata.category(char).startswith("C") for char in url):
        raise ValueError("The meeting link must not contain spaces or invisible characters.")
    if "\\" in url:
        raise ValueError("The meeting link must not contain backslashes.")
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        raise ValueError("The meeting link must start with https://.")
    if "@" in parts.netloc:
        raise ValueError("The meeting link must not contain a user name or password.")
    if not parts.hostname:
        raise ValueError("The meeting link must include the site, e.g. https://meet.example.org/")
    try:
        parts.port  # noqa: B018 (parsing the port validates it)
    except ValueError as exc:
        raise ValueError("The meeting link has an invalid port number.") from exc
    return url


class LinkProvider(MeetingProvider):
    """Nothing to call: the link is the meeting. Our uid serves as its id."""

    name = "link"
    label = "Meeting link"
    needs_join_url = True
    join_target = "the meeting link"

    def create(self, meeting: MeetingRequest) -> ProviderMeeting:
        return ProviderMeeting(meeting_id=meeting.uid, join_url=validate_join_url(meeting.join_url or ""))

    def update(self, meeting_id: str, meeting: MeetingRequest) -> None:
        return None

    def delete(self, meeting_id: str) -> None:
        return None

    def past_instances(self, meeting_id: str) -> list[PastInstance]:
        raise NotSupported("Attendance import is not available for plain links")

    def fetch_attendance(self, meeting_id: str, instance_uuid: str | None = None) -> list[Participant]:
        raise NotSupported("Attendance import is not available for plain links")

    def find_existing(self, meeting: MeetingRequest) -> ProviderMeeting | None:
        return None
