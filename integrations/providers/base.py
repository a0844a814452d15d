"""What every meeting provider offers the app, and the small records they exchange."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class MeetingRequest:
    """One of our sessions as a provider should schedule it."""

    uid: str  # our session's stable uid: Teams externalId, Zoom agenda marker
    topic: str
    start: datetime  # aware; providers send it as UTC
    duration_minutes: int
    timezone: str  # IANA display zone, e.g. "Europe/London"
    agenda: str = ""
    join_url: str | None = None  # only for the plain-link provider
    host: str | None = None  # overrides the configured host/organizer

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("MeetingRequest.start must be timezone-aware")
        if self.duration_minutes <= 0:
            raise ValueError("MeetingRequest.duration_minutes must be positive")

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)


@dataclass(frozen=True)
class ProviderMeeting:
    """What the provider made. ``host_url`` can start the meeting as host: never persist it."""

    meeting_id: str
    join_url: str
    passcode: str | None = None
    dial_in: str | None = None
    host_url: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class AttendanceInterval:
    joined_at: datetime  # aware UTC
    left_at: datetime | None  # None while still in the meeting


@dataclass(frozen=True)
class PastInstance:
    """One time a meeting was held: Zoom starts a new instance each time the meeting is started
    again (a dropped host, say), Teams a new attendance report each time it ends."""

    ref: str  # what fetch_attendance takes as ``instance_uuid``: Zoom's UUID, Teams' report id
    started_at: datetime | None  # aware UTC; None when the provider does not say


@dataclass(frozen=True)
class Participant:
    """One raw attendance row; the app merges rows that belong to the same person."""

    name: str
    email: str | None
    provider_user_key: str | None  # the provider's id for the person, None for guests
    intervals: list[AttendanceInterval]


class MeetingProvider(ABC):
    """A place meetings can be held. Errors are those of :mod:`integrations.http`.

    The class attributes are everything the app knows about a provider: it asks them (through
    ``facilitator.providers.hub``) instead of branching on a provider's name.
    """

    name: str  # the key the registry files the provider under, stored on groups and sessions
    label: str  # how people see it, e.g. "Microsoft Teams"
    required_keys: tuple[str, ...] = ()  # configuration keys that must all be set to connect it
    needs_join_url: bool = False  # the facilitator pastes the join link (no meeting of its own)
    imports_attendance: bool = False  # a participant or attendance report can be imported
    # A per-host daily cap of meeting creates and updates: the config key of the cap, of the
    # default host, and the user attribute naming a facilitator's own host (all or none set).
    daily_limit_key: str | None = None
    default_host_key: str | None = None
    host_user_attribute: str | None = None
    join_target: str = "the meeting"  # what the join button opens, as emails put it
    # What a care home sees on the join page. The join button leads on to the meeting in the same
    # tab (a redirect, never target=_blank: a shared iPad would pile up tabs), so it says that.
    join_hint: str = ("The meeting opens in this tab, in place of this page. If asked, allow the camera "
                      "and microphone.")

    # The provider's own public test meeting, opened by a home's "Test this iPad" button; None
    # when the provider has none (the button is not offered).
    test_meeting_url: str | None = None
    # For a provider without one: whether the test opens the pre-join screen of the home's next
    # session on it (its join link), where camera, microphone and sound can be checked before
    # joining; and the words that say so beside the button.
    device_check_uses_meeting: bool = False
    device_check_hint: str | None = None

    @abstractmethod
    def create(self, meeting: MeetingRequest) -> ProviderMeeting:
        """Schedule ``meeting``. After ``ProviderUnavailable(maybe_sent=True)`` call
        :meth:`find_existing` before creating again."""

    @abstractmethod
    def update(self, meeting_id: str, meeting: MeetingRequest) -> None:
        """Change topic, time and agenda of an existing meeting."""

    @abstractmethod
    def delete(self, meeting_id: str) -> None:
        """Remove the meeting; one already gone counts as done."""

    @abstractmethod
    def past_instances(self, meeting_id: str) -> list[PastInstance]:
        """Every time the meeting was held, as far as the provider has it ready."""

    @abstractmethod
    def fetch_attendance(self, meeting_id: str, instance_uuid: str | None = None) -> list[Participant]:
        """Raw attendance rows of a past meeting (one instance of it, if given)."""

    @abstractmethod
    def find_existing(self, meeting: MeetingRequest) -> ProviderMeeting | None:
        """The meeting a possibly-received earlier ``create`` made, if any."""
