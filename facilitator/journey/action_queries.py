"""Reads of the action plans: a home's plan, what a register carries, the counts the facilitator's
home page and the lead's dashboard show (one grouped query each, whatever the number of homes),
and the overdue actions each owner's weekly digest lists.

Overdue is one rule, :func:`overdue_clause` (SQL) and ``HomeAction.is_overdue`` (Python): a due
date before today on an action that is neither done nor dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.models import CareHome, Contact, HomeAction, Membership
from facilitator.models.actions import CLOSED_STATUSES, OPEN_STATUSES


def overdue_clause(today: date) -> Any:
    return and_(HomeAction.due_on < today, HomeAction.status.not_in(CLOSED_STATUSES))


def _plan_order() -> tuple[Any, ...]:
    """Open actions first, soonest due first (no due date last), then the closed ones."""
    return (HomeAction.status.in_(CLOSED_STATUSES), HomeAction.due_on.is_(None), HomeAction.due_on,
            HomeAction.id)


def home_plan(home_id: int) -> list[HomeAction]:
    """Every action of a home, open first, with their owners."""
    return list(db.session.scalars(
        select(HomeAction).where(HomeAction.home_id == home_id)
        .options(selectinload(HomeAction.owner_contact)).order_by(*_plan_order())))


def open_plans(home_ids: Iterable[int]) -> dict[int, list[HomeAction]]:
    """Home id → its open actions (not started or in progress), for a register's homes."""
    ids = list(home_ids)
    plans: dict[int, list[HomeAction]] = defaultdict(list)
    if not ids:
        return plans
    rows = db.session.scalars(
        select(HomeAction).where(HomeAction.home_id.in_(ids), HomeAction.status.in_(OPEN_STATUSES))
        .options(selectinload(HomeAction.owner_contact)).order_by(*_plan_order()))
    for action in rows:
        plans[action.home_id].append(action)
    return plans


def overdue_by_group(group_ids: Iterable[int], today: date) -> dict[int, int]:
    """Group id → overdue actions of the homes that are its members today."""
    ids = list(group_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership.group_id, func.count(HomeAction.id))
        .join(HomeAction, HomeAction.home_id == Membership.home_id)
        .where(Membership.group_id.in_(ids), Membership.is_member_on(today), overdue_clause(today))
        .group_by(Membership.group_id))
    return {group_id: n for group_id, n in rows}


@dataclass(frozen=True)
class HomeProgress:
    home_id: int
    home_name: str
    done: int
    open: int
    overdue: int


def progress_by_home(today: date, home_ids: Iterable[int] | None = None) -> list[HomeProgress]:
    """Per home with an action plan: actions done, open and overdue, in one query."""
    query = (select(CareHome.id, CareHome.name,
                    func.sum(case((HomeAction.status == "done", 1), else_=0)),
                    func.sum(case((HomeAction.status.in_(OPEN_STATUSES), 1), else_=0)),
                    func.sum(case((overdue_clause(today), 1), else_=0)))
             .join(HomeAction, HomeAction.home_id == CareHome.id)
             .group_by(CareHome.id, CareHome.name).order_by(CareHome.name, CareHome.id))
    if home_ids is not None:
        query = query.where(CareHome.id.in_(list(home_ids)))
    return [HomeProgress(i, name, int(done or 0), int(open_ or 0), int(late or 0))
            for i, name, done, open_, late in db.session.execute(query)]


def _owned_by(contact_id: Any, home_id: Any, role: Any) -> Any:
    """SQL: an action owned by the contact itself, or by the contact's role at its home."""
    return or_(HomeAction.owner_contact_id == contact_id,
               and_(HomeAction.owner_contact_id.is_(None), HomeAction.home_id == home_id,
                    HomeAction.owner_role == role))


def overdue_for_owner(contact: Contact, today: date) -> list[HomeAction]:
    """The overdue actions ``contact`` owns, directly or through their role at the home."""
    return list(db.session.scalars(
        select(HomeAction).where(_owned_by(contact.id, contact.home_id, contact.role), overdue_clause(today))
        .order_by(HomeAction.due_on, HomeAction.id)))


def owners_with_overdue(today: date) -> list[Contact]:
    """Active contacts who own at least one overdue action."""
    owns = select(HomeAction.id).where(_owned_by(Contact.id, Contact.home_id, Contact.role),
                                       overdue_clause(today)).exists()
    return list(db.session.scalars(
        select(Contact).where(Contact.is_active, owns).options(selectinload(Contact.home))
        .order_by(Contact.id)))
