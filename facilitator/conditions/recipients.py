"""Who is told about a home's agreement: the facilitators of the groups it belongs to now."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import Group, Membership, User, group_facilitators


def facilitators_of_home(home_id: int, today: date) -> list[User]:
    return list(db.session.scalars(
        select(User).join(group_facilitators, group_facilitators.c.user_id == User.id)
        .join(Group, Group.id == group_facilitators.c.group_id)
        .where(User.is_active, Membership.current_exists(Group.id, home_id, today))
        .distinct().order_by(User.name, User.id)))
