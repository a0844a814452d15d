"""What the printed documents of a home show: read only, a few statements each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.models import (
    Assessment,
    CareHome,
    Contact,
    ContactRole,
    Framework,
    FrameworkDomain,
    HomeAction,
)
from facilitator.models.actions import OPEN_STATUSES, ActionStatus


@dataclass(frozen=True)
class Previous:
    """A domain's rating in the home's previous round, as the pack shows it beside the domain."""

    rating: int | None
    label: str
    evidence: str


@dataclass(frozen=True)
class PlanRow:
    action: HomeAction
    domain_title: str
    owner: str
    overdue: bool


def current_framework() -> Framework:
    """The framework a new round is taken with: the one published last."""
    framework = db.session.scalar(
        select(Framework).options(selectinload(Framework.domains))
        .order_by(Framework.published_at.desc(), Framework.id.desc()).limit(1))
    if framework is None:
        raise LookupError("no self-assessment framework is published (migration 0018 publishes one)")
    return framework


def active_contacts(home: CareHome) -> list[Contact]:
    return [c for c in home.contacts if c.is_active]


def latest_completed_round(home_id: int, before_round: int | None = None) -> Assessment | None:
    """The home's last completed round (before ``before_round``, if given), with its ratings."""
    query = (select(Assessment).options(selectinload(Assessment.ratings), selectinload(Assessment.framework))
             .where(Assessment.home_id == home_id, Assessment.completed_on.is_not(None))
             .order_by(Assessment.round.desc()).limit(1))
    if before_round is not None:
        query = query.where(Assessment.round < before_round)
    return db.session.scalar(query)


def previous_by_domain(round_: Assessment | None) -> dict[str, Previous]:
    """The ratings of ``round_`` by domain key (domains it did not rate are left out)."""
    if round_ is None:
        return {}
    return {r.domain_key: Previous(r.rating, round_.framework.scale_label(r.rating), r.evidence or "")
            for r in round_.ratings if r.rating is not None or r.evidence}


def round_with_details(assessment_id: int) -> Assessment | None:
    return db.session.scalar(
        select(Assessment).options(
            selectinload(Assessment.ratings), selectinload(Assessment.participants),
            selectinload(Assessment.framework).selectinload(Framework.domains))
        .where(Assessment.id == assessment_id))


def participant_names(assessment: Assessment) -> list[str]:
    ids = [p.contact_id for p in assessment.participants]
    if not ids:
        return []
    return list(db.session.scalars(select(Contact.name).where(Contact.id.in_(ids)).order_by(Contact.name)))


def domain_titles() -> dict[str, str]:
    """Every domain key's title, the latest framework's wording winning."""
    rows = db.session.execute(
        select(FrameworkDomain.key, FrameworkDomain.title).join(Framework)
        .order_by(Framework.published_at, Framework.id))
    return {key: title for key, title in rows}


def action_plan(home: CareHome, today: date) -> tuple[list[PlanRow], list[PlanRow]]:
    """The home's open actions (overdue first, then by due date) and its closed ones."""
    actions = db.session.scalars(
        select(HomeAction).options(selectinload(HomeAction.owner_contact))
        .where(HomeAction.home_id == home.id).order_by(HomeAction.due_on, HomeAction.id))
    titles = domain_titles()
    rows = [PlanRow(a, titles.get(a.domain_key or "", a.domain_key or ""), owner_label(a),
                    a.is_overdue(today)) for a in actions]
    open_rows = sorted((r for r in rows if r.action.status in OPEN_STATUSES),
                       key=lambda r: (not r.overdue, r.action.due_on or date.max, r.action.id))
    return open_rows, [r for r in rows if r.action.status not in OPEN_STATUSES]


def owner_label(action: HomeAction) -> str:
    if action.owner_contact is not None:
        return action.owner_contact.name
    if action.owner_role:
        return f"The {role_label(action.owner_role).lower()}"
    return "Not yet decided"


def role_label(role: str) -> str:
    try:
        return ContactRole(role).label
    except ValueError:
        return role


def status_label(status: str) -> str:
    return ActionStatus(status).label
