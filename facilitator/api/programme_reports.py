"""Frozen programme reports over the API (issue 20): leads and admins freeze one and read it back.

The filters' rules (``from`` and ``to`` required dates, a known group and council area) are
``facilitator.reports.filters``'s, and a refusal names each field; the figures are the snapshot's
own, never recomputed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g, url_for
from pydantic import Field

from facilitator.access import LEAD_OR_ADMIN, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.models import ProgrammeReport
from facilitator.models.reports import NARRATIVE_MAX
from facilitator.reports import filters, snapshots


class ProgrammeReportIn(Input):
    from_: str = Field(alias="from", max_length=10, description="YYYY-MM-DD, the first day")
    to: str = Field(max_length=10, description="YYYY-MM-DD, the last day")
    group_id: int | None = None
    region: str | None = Field(default=None, max_length=100)
    local_authority: str | None = Field(default=None, max_length=40, description="A council area's key")
    narrative: str = Field(default="", max_length=NARRATIVE_MAX)


class ProgrammeReportOut(Output):
    id: int
    frozen_at: datetime
    figures: dict[str, Any]
    pdf_url: str

    @classmethod
    def of(cls, report: ProgrammeReport) -> ProgrammeReportOut:
        return cls(id=report.id, frozen_at=report.frozen_at, figures=report.figures,
                   pdf_url=url_for("reports.snapshot_pdf", report_id=report.id, _external=True))


@operation("/programme-reports", "POST", roles=LEAD_OR_ADMIN, body=ProgrammeReportIn,
           response=ProgrammeReportOut, status=201,
           summary="Freeze the programme report over a period: its figures and PDF, never recomputed")
def create_programme_report(body: ProgrammeReportIn) -> ProgrammeReportOut:
    chosen, problems = filters.parse(body.model_dump(by_alias=True))
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    return ProgrammeReportOut.of(snapshots.freeze_report(chosen, body.narrative, g.user))


@operation("/programme-reports/<int:report_id>", "GET", roles=LEAD_OR_ADMIN, response=ProgrammeReportOut,
           summary="A frozen programme report, as it was frozen")
def get_programme_report(report_id: int) -> ProgrammeReportOut:
    return ProgrammeReportOut.of(get_or_404(ProgrammeReport, report_id))
