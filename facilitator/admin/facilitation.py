"""Who may facilitate a group, and handing groups over when a facilitator leaves (issue 14, item 18).

A user who stops being able to facilitate (deactivated, or given another role) is never silently
taken off a group: the groups they alone facilitate are handed over to another facilitator, or
left without one only when the admin says so. They stay listed on groups they are not handed over
from, shown as deactivated, so the record of who ran the group is kept.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import exists, or_, select

from facilitator.clock import local_today, system_now
from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.models import (
    Group,
    MeetingSession,
    Membership,
    Role,
    SessionStatus,
    User,
    group_facilitators,
)


def may_facilitate(user: User) -> bool:
    """The one rule for who may be chosen to facilitate a group: an active facilitator."""
    return user.role == Role.FACILITATOR and user.is_active


def stops_facilitating(user: User, role: str | None, is_active: bool | None) -> bool:
    """Whether giving ``user`` this role or active flag (None: unchanged) ends their facilitating."""
    return may_facilitate(user) and (is_active is False or role not in (None, Role.FACILITATOR))


def facilitators() -> list[User]:
    """Everyone who may facilitate, by name."""
    rows = db.session.scalars(select(User).where(User.role == Role.FACILITATOR).order_by(User.name))
    return [u for u in rows if may_facilitate(u)]


def facilitator_label(user: User) -> str:
    """A facilitator's name, saying when they can no longer facilitate (still listed on a group)."""
    if may_facilitate(user):
        return user.name
    return f"{user.name} (deactivated)" if not user.is_active else f"{user.name} (no longer a facilitator)"


def choices_for(group: Group | None) -> list[tuple[int, str]]:
    """The group form's facilitators: who may facilitate, and whoever the group still lists."""
    people = {u.id: u for u in facilitators()}
    for user in group.facilitators if group else []:
        people.setdefault(user.id, user)
    return [(u.id, facilitator_label(u)) for u in sorted(people.values(), key=lambda u: u.name)]


def is_active_group(group: Group) -> bool:
    """A group still running: a home in it now or to come, or a session still to take place."""
    open_member = exists().where(Membership.group_id == group.id,
                                 or_(Membership.left_on.is_(None), Membership.left_on >= local_today()))
    to_come = exists().where(MeetingSession.group_id == group.id, MeetingSession.starts_at > system_now(),
                             MeetingSession.status != SessionStatus.CANCELLED)
    return bool(db.session.scalar(select(or_(open_member, to_come))))


def groups_left_without(user: User) -> list[Group]:
    """The active groups of which ``user`` is the only one who may facilitate, by name."""
    groups = db.session.scalars(
        select(Group).join(group_facilitators, group_facilitators.c.group_id == Group.id)
        .where(group_facilitators.c.user_id == user.id).order_by(Group.name))
    return [g for g in groups
            if is_active_group(g) and not any(may_facilitate(f) for f in g.facilitators if f.id != user.id)]


class HandoverNeeded(ConflictError):
    """Stopping ``user`` facilitating would leave ``groups`` without a facilitator."""

    def __init__(self, user: User, groups: list[Group]) -> None:
        names = ", ".join(g.name for g in groups)
        message = (f"{user.name} is the only active facilitator of {names}. Hand each group over to "
                   "another facilitator, or confirm that it is left without one.")
        super().__init__(message, {"handover_to": f"The only active facilitator of: {names}. Give "
                                   "handover_to (another active facilitator's id) or force: true."})
        self.user, self.groups = user, groups


def successor_problem(leaver: User, successor_id: int | None) -> str | None:
    """Why ``successor_id`` cannot take over a group from ``leaver`` (None: they can)."""
    successor = db.session.get(User, successor_id) if successor_id is not None else None
    if successor is None or successor.id == leaver.id or not may_facilitate(successor):
        return "Choose another active facilitator."
    return None


def handover_field(group: Group) -> str:
    """The field that names who takes ``group`` over (the HTML form's name for it)."""
    return f"handover_{group.id}"


def everything_to(leaver: User, successor_id: int) -> dict[int, int]:
    """Every group ``leaver`` alone facilitates, handed over to one successor."""
    return {g.id: successor_id for g in groups_left_without(leaver)}


def release_groups(leaver: User, handover: Mapping[int, int], force: bool = False) -> None:
    """Before ``leaver`` stops facilitating: hand over each group they alone facilitate to the
    successor ``handover`` names for it (the successor takes their place on it). A group with no
    successor refuses the change (``HandoverNeeded``) unless ``force``; it then keeps them listed,
    deactivated, and has no active facilitator."""
    groups = groups_left_without(leaver)
    problems = {handover_field(g): problem for g in groups if g.id in handover
                and (problem := successor_problem(leaver, handover[g.id]))}
    if problems:
        raise DomainError("Choose another active facilitator for each group handed over.", problems)
    left = [g for g in groups if g.id not in handover]
    if left and not force:
        raise HandoverNeeded(leaver, left)
    for group in groups:
        if group.id in handover:
            successor = db.session.get(User, handover[group.id])
            others = [f for f in group.facilitators if f.id not in (leaver.id, handover[group.id])]
            group.facilitators = [*others, successor]
