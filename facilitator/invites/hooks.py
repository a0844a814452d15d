"""What booking and membership changes tell the invitations area, inside the same transaction.

Booking calls these after it has changed a session (and bumped its ``sequence``) and before the
view commits, so invites are queued in the same transaction as the change and never lost.
"""

from __future__ import annotations

from datetime import date

from facilitator.models import Group, MeetingSession


def session_booked(session: MeetingSession) -> None:
    """A new session was saved."""


def session_changed(session: MeetingSession) -> None:
    """A session's time or title changed; its ``sequence`` is already higher."""


def session_cancelled(session: MeetingSession) -> None:
    """A session was cancelled; its ``sequence`` is already higher."""


def membership_changed(group: Group, home_id: int, on: date) -> None:
    """A home joined or left ``group`` from ``on``: invite to or cancel future sessions."""


def contact_changed(contact_id: int) -> None:
    """A contact was added, edited, made inactive or active again."""
