"""Who is told about a home's agreement: the facilitators of the groups it belongs to now."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import Group, Membership, Role, User, group_facilitators


def facilitators_of_home(home_id: int, today: date) -> list[User]:
    return list(db.session.scalars(
        select(User).join(group_facilitators, group_facilitators.c.user_id == User.id)
        .join(Group, Group.id == group_facilitators.c.group_id)
        .where(User.is_active, Membership.current_exists(Group.id, home_id, today))
        .distinct().order_by(User.name, User.id)))


def may_write_home(user: User | None, home_id: int, today: date) -> bool:
    """Agreements (and readiness) of a home: admins, and the facilitators of its groups now."""
    if user is None or not user.is_active:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.FACILITATOR:
        return False
    return any(u.id == user.id for u in facilitators_of_home(home_id, today))
