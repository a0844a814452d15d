"""Reads of the action plans: a home's plan, what a register carries, the counts the facilitator's
home page and the lead's dashboard show (one grouped query each, whatever the number of homes),
and the overdue actions each owner's weekly digest lists.

The dashboard shows totals and only the homes most overdue (``dashboard_plans``); every home's row is
on a page of its own, a page at a time (``homes_with_plans_page``), and in its CSV: a row per home
for a thousand homes made the dashboard too slow.

Overdue is one rule, :func:`overdue_clause` (SQL) and ``HomeAction.is_overdue`` (Python): a due
date before today on an action that is neither done nor dropped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.listing import Listing, paginate
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


ATTENTION_ROWS = 10  # the dashboard's rows: the homes most overdue; the rest are a page away


@dataclass(frozen=True)
class HomeProgress:
    home_id: int
    home_name: str
    region: str
    done: int
    open: int
    overdue: int
    oldest_due: date | None  # the earliest due date of its overdue actions


@dataclass(frozen=True)
class PlanTotals:
    """Across every home with an action plan (any action at all)."""

    homes: int
    homes_overdue: int
    done: int
    open: int
    overdue: int


def _sums(today: date) -> tuple[Any, Any, Any]:
    """SQL: actions done, open and overdue among the rows grouped."""
    return (func.sum(case((HomeAction.status == "done", 1), else_=0)),
            func.sum(case((HomeAction.status.in_(OPEN_STATUSES), 1), else_=0)),
            func.sum(case((overdue_clause(today), 1), else_=0)))


def _progress_query(today: date) -> tuple[Any, Any, Any]:
    """SQL: per home with a plan, its progress as ``HomeProgress``'s fields; and the overdue count
    and oldest overdue due date of the group, to filter and order by."""
    done, open_, late = _sums(today)
    oldest = func.min(case((overdue_clause(today), HomeAction.due_on)))
    query = (select(CareHome.id.label("home_id"), CareHome.name.label("home_name"),
                    CareHome.region.label("region"), done.label("done_n"), open_.label("open_n"),
                    late.label("overdue_n"), oldest.label("oldest_due"))
             .join(HomeAction, HomeAction.home_id == CareHome.id)
             .group_by(CareHome.id, CareHome.name, CareHome.region))
    return query, late, oldest


def _home_progress(row: Any) -> HomeProgress:
    return HomeProgress(row.home_id, row.home_name, row.region, int(row.done_n or 0), int(row.open_n or 0),
                        int(row.overdue_n or 0), row.oldest_due)


def progress_by_home(today: date, home_ids: Iterable[int] | None = None) -> list[HomeProgress]:
    """Per home with an action plan (of ``home_ids``, if given): done, open and overdue, by name."""
    query, _late, _oldest = _progress_query(today)
    query = query.order_by(CareHome.name, CareHome.id)
    if home_ids is not None:
        query = query.where(CareHome.id.in_(list(home_ids)))
    return [_home_progress(row) for row in db.session.execute(query)]


def _most_overdue(today: date, limit: int) -> Any:
    query, late, oldest = _progress_query(today)
    return (query.having(late > 0).order_by(late.desc(), oldest, CareHome.name, CareHome.id)
            .limit(limit).subquery())


def _totals(today: date) -> Any:
    done, open_, late = _sums(today)
    homes_late = func.count(func.distinct(case((overdue_clause(today), HomeAction.home_id))))
    return select(func.count(func.distinct(HomeAction.home_id)).label("t_homes"), homes_late.label("t_late"),
                  done.label("t_done"), open_.label("t_open"), late.label("t_overdue")).subquery()


def dashboard_plans(today: date, limit: int = ATTENTION_ROWS) -> tuple[PlanTotals, list[HomeProgress]]:
    """The dashboard's figures over every home with a plan, and the homes that need attention
    first: those with overdue actions, the most overdue actions first, then the longest overdue;
    at most ``limit``. One statement (the dashboard's budget is tight): the totals joined to each
    of those homes, or to one empty row when none is overdue."""
    top = _most_overdue(today, limit)
    totals = _totals(today)
    rows = db.session.execute(
        select(totals, top).select_from(totals.outerjoin(top, true()))
        .order_by(top.c.overdue_n.desc(), top.c.oldest_due, top.c.home_name, top.c.home_id)).all()
    first = rows[0]
    plans = PlanTotals(int(first.t_homes or 0), int(first.t_late or 0), int(first.t_done or 0),
                       int(first.t_open or 0), int(first.t_overdue or 0))
    return plans, [_home_progress(row) for row in rows if row.home_id is not None]


def _overdue_count(today: date) -> Any:
    """SQL: the overdue actions of the ``CareHome`` of the enclosing query (to sort a page by)."""
    return (select(func.count(HomeAction.id)).where(HomeAction.home_id == CareHome.id, overdue_clause(today))
            .correlate(CareHome).scalar_subquery())


def homes_with_plans_page(args: Mapping[str, str], today: date) -> tuple[Listing, list[HomeProgress]]:
    """A page of the homes with an action plan, searched by name or region and sorted by name,
    region or overdue actions; and each of its homes' progress, in the page's order. The same three
    statements for any number of homes."""
    has_plan = select(HomeAction.id).where(HomeAction.home_id == CareHome.id).exists()
    listing = paginate(select(CareHome).where(has_plan), args, search=[CareHome.name, CareHome.region],
                       sorts={"name": CareHome.name, "region": CareHome.region,
                              "overdue": _overdue_count(today)},
                       default_sort="name", tiebreak=CareHome.id)
    found = {p.home_id: p for p in progress_by_home(today, [home.id for home in listing.rows])}
    return listing, [found[home.id] for home in listing.rows if home.id in found]


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
