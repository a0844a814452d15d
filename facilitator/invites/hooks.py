"""What booking and membership changes tell the invitations area, inside the same transaction.

Booking calls these after it has changed a session (and bumped its ``sequence``) and before the
view commits, so invites are queued in the same transaction as the change and never lost.
Nothing here sends mail or commits: the outbox worker (``flask --app facilitator outbox send``)
delivers what was queued once the transaction has committed.
"""

from __future__ import annotations

from facilitator.invites import services
from facilitator.models import Group, MeetingSession, Series


def session_booked(session: MeetingSession) -> None:
    """A new session was saved: invite every active contact of every member home."""
    services.reconcile_session(session, "booked")


def session_changed(session: MeetingSession) -> None:
    """A session's time or title changed; its ``sequence`` is already higher.

    Everyone invited gets an update (same UID, higher SEQUENCE); if the new date changes which
    homes are members, the newly included are invited and the no longer included get a CANCEL.
    """
    services.reconcile_session(session, "changed", changed=True)


def session_cancelled(session: MeetingSession) -> None:
    """A session was cancelled; its ``sequence`` is already higher. Everyone invited gets a CANCEL."""
    services.reconcile_session(session, "cancelled")


def membership_changed(group: Group, home_id: int) -> None:
    """A home joined or left ``group``: invite to or cancel its sessions not yet ended.

    Membership is judged per session on the session's own date, so every open session of the
    group is checked (those before the date of the change come out unchanged).
    """
    services.membership_changed(group, home_id)


def contact_changed(contact_id: int) -> None:
    """A contact was added, edited, made inactive or active again.

    Newly active contacts of member homes are invited to sessions not yet ended; a contact made
    inactive gets a CANCEL for them; a new email address gets the invites and the old one a CANCEL.
    """
    services.contact_changed(contact_id)


def series_split(old: Series) -> None:
    """"This and the following" made the later sessions a new series: the old one's invitees get
    its shorter state (it now ends before the split), or a CANCEL when none of theirs is left."""
    services.series_ended_early(old)
