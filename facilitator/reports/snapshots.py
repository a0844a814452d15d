"""Freezing the programme report: its figures and its PDF saved once, as they are now. There is
no update: a snapshot is only ever read back, never recomputed."""

from __future__ import annotations

from sqlalchemy import select

from facilitator.clock import now_utc
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.extensions import db
from facilitator.models import ProgrammeReport, User
from facilitator.models.reports import NARRATIVE_MAX
from facilitator.reports import document
from facilitator.reports.figures import figures
from facilitator.reports.filters import ReportFilters


def freeze_report(filters: ReportFilters, narrative: str, user: User | None) -> ProgrammeReport:
    narrative = (narrative or "").strip()
    if len(narrative) > NARRATIVE_MAX:
        raise DomainError(FIELDS_INVALID,
                          {"narrative": f"Keep the narrative under {NARRATIVE_MAX} characters."})
    frozen_at = now_utc()
    data = figures(filters, now=frozen_at)
    report = ProgrammeReport(date_from=filters.date_from, date_to=filters.date_to, filters=filters.as_dict(),
                             narrative=narrative, figures=data, frozen_at=frozen_at,
                             pdf=document.pdf(data, narrative, frozen_at),
                             frozen_by_id=user.id if user else None)
    db.session.add(report)
    db.session.flush()
    return report


def snapshots() -> list[ProgrammeReport]:
    return list(db.session.scalars(select(ProgrammeReport).order_by(ProgrammeReport.frozen_at.desc(),
                                                                    ProgrammeReport.id.desc())))
