"""Reads of follow-ups: who sees which, the lists, a home's history, the dashboard's "no contact
for N days", and the next session a "We missed you" email points to.

Who: the facilitators of the follow-up's group and admins act on it; leads read every one
(``can_see_group``); any other caller finds nothing, as for another group's session.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, case, select
from sqlalchemy.orm import joinedload, selectinload

from facilitator.access import visible_group_ids
from facilitator.extensions import db
from facilitator.invites.queries import home_sessions
from facilitator.models import (
    FollowUp,
    FollowUpContact,
    FollowUpState,
    MeetingSession,
    SessionStatus,
    User,
    can_manage_group,
    can_see_group,
)

STATE_ORDER = case({FollowUpState.OPEN.value: 0, FollowUpState.SNOOZED.value: 1}, value=FollowUp.state,
                   else_=2)


def can_read(user: User | None, follow_up: FollowUp) -> bool:
    return can_see_group(user, follow_up.group)


def can_act(user: User | None, follow_up: FollowUp) -> bool:
    return can_manage_group(user, follow_up.group)


def _visible(user: User) -> Select[tuple[FollowUp]]:
    query = select(FollowUp).options(
        joinedload(FollowUp.home), joinedload(FollowUp.group),
        selectinload(FollowUp.contacts).joinedload(FollowUpContact.contact),
        selectinload(FollowUp.contacts).joinedload(FollowUpContact.logged_by))
    groups = visible_group_ids(user)
    return query if groups is None else query.where(FollowUp.group_id.in_(groups))


def follow_ups_for(user: User, *, state: str | None = None, group_id: int | None = None,
                   home_id: int | None = None) -> list[FollowUp]:
    """The follow-ups ``user`` sees: open first, then snoozed, then closed; newest first in each."""
    query = _visible(user)
    if state:
        query = query.where(FollowUp.state == state)
    if group_id is not None:
        query = query.where(FollowUp.group_id == group_id)
    if home_id is not None:
        query = query.where(FollowUp.home_id == home_id)
    newest = (FollowUp.opened_at.desc(), FollowUp.id.desc())
    return list(db.session.scalars(query.order_by(STATE_ORDER, *newest)))


def home_history(user: User, home_id: int) -> list[FollowUp]:
    """A home's follow-ups in the groups ``user`` sees, for its page."""
    return follow_ups_for(user, home_id=home_id)


def next_session(follow_up: FollowUp, now: datetime) -> MeetingSession | None:
    """The next scheduled session of the follow-up's group that has not started, for its home."""
    return next((s for s in home_sessions(follow_up.home_id, now)
                 if s.group_id == follow_up.group_id and s.status == SessionStatus.SCHEDULED
                 and s.starts_at > now), None)

