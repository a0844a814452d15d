"""Who may see and change a home's journey (its assessment rounds and action plan).

Admins write every home's; facilitators read and write the homes of the groups they facilitate,
including homes that have since left the group; leads read every home's; supervisors none. A
contact reaches only their own home, through their link (``facilitator/join/assessment.py``).
"""

from __future__ import annotations

from flask import abort, g
from sqlalchemy import exists, select

from facilitator.access import get_or_404
from facilitator.extensions import db
from facilitator.models import CareHome, Membership, Role, User, group_facilitators


def facilitates_home(user: User, home_id: int) -> bool:
    """``user`` facilitates a group the home belongs to now or belonged to before."""
    return bool(db.session.scalar(select(exists().where(
        Membership.home_id == home_id, Membership.group_id == group_facilitators.c.group_id,
        group_facilitators.c.user_id == user.id))))


def can_write_journey(user: User | None, home_id: int) -> bool:
    if user is None or not user.is_active:
        return False
    return user.role == Role.ADMIN or (user.role == Role.FACILITATOR and facilitates_home(user, home_id))


def can_read_journey(user: User | None, home_id: int) -> bool:
    if user is not None and user.is_active and user.role == Role.LEAD:
        return True
    return can_write_journey(user, home_id)


def journey_home_or_404(home_id: int, write: bool = False) -> CareHome:
    """The home whose journey the signed-in user may read (another group's home is not found),
    refused (403) when a change is asked of someone who may only read it."""
    home = get_or_404(CareHome, home_id)
    if not can_read_journey(g.user, home.id):
        abort(404)
    if write and not can_write_journey(g.user, home.id):
        abort(403)
    return home
