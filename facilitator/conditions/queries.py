"""Reads about agreements: the programme's figures for the lead's and admin's dashboard."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.models import AGREED_STATUSES, Agreement, CareHome


@dataclass(frozen=True)
class AgreementFigures:
    homes: int  # every care home
    covered: int  # homes with an accepted (or signed) agreement that has not expired
    hours_per_month: float  # the hours a month those agreements protect, all three kinds

    @property
    def share(self) -> int:
        return round(100 * self.covered / self.homes) if self.homes else 0


def agreement_figures(today: date, home_ids: Collection[int] | None = None) -> AgreementFigures:
    """Every home's (the dashboard), or those of ``home_ids`` (the programme report's filters).
    Two statements, whatever the number of homes."""
    live = [Agreement.status.in_(AGREED_STATUSES), Agreement.review_on >= today]
    if home_ids is not None:
        live.append(Agreement.home_id.in_(list(home_ids)))
    covered, hours = db.session.execute(select(
        func.count(func.distinct(Agreement.home_id)),
        func.coalesce(func.sum(Agreement.psl_hours_per_month + Agreement.implementation_hours_per_month
                               + Agreement.task_hours_per_month), 0)).where(*live)).one()
    homes = (len(home_ids) if home_ids is not None
             else db.session.scalar(select(func.count()).select_from(CareHome)))
    return AgreementFigures(homes=homes or 0, covered=covered or 0, hours_per_month=float(hours or 0))


def home_agreements(home_id: int) -> list[Agreement]:
    """A home's agreements, newest first."""
    return list(db.session.scalars(select(Agreement).where(Agreement.home_id == home_id)
                                   .order_by(Agreement.created_at.desc(), Agreement.id.desc())))
