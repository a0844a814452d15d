"""All models, imported here so Alembic and the app see one metadata."""

from facilitator.models.base import Base, UTCDateTime, utcnow
from facilitator.models.groups import Group, Membership, Provider, group_facilitators
from facilitator.models.homes import CareHome, Contact, ContactRole
from facilitator.models.meetings import MeetingSession, SessionStatus, SyncAction, SyncState
from facilitator.models.users import ApiToken, LoginAttempt, Role, User, UserSession

__all__ = [
    "ApiToken",
    "Base",
    "CareHome",
    "Contact",
    "ContactRole",
    "Group",
    "LoginAttempt",
    "MeetingSession",
    "Membership",
    "Provider",
    "Role",
    "SessionStatus",
    "SyncAction",
    "SyncState",
    "User",
    "UserSession",
    "UTCDateTime",
    "group_facilitators",
    "utcnow",
]
