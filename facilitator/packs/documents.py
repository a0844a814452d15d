"""The three documents of a home, each built once for both ways in (staff and the home's link)."""

from __future__ import annotations

from flask import Response

from facilitator.clock import local_today, now_utc
from facilitator.extensions import db
from facilitator.models import Assessment, CareHome, RatingSource
from facilitator.packs import queries
from facilitator.paper import pdf_download, pdf_filename

SOURCE_LABELS = {RatingSource.ONLINE.value: "Online, by the home",
                 RatingSource.PAPER.value: "On paper, typed in by the facilitator",
                 RatingSource.VISIT.value: "At a facilitator's visit"}


def assessment_pack(home: CareHome) -> Response:
    """The blank framework tailored to ``home``: its contacts, its last completed round's rating
    beside each domain, and room to write."""
    framework = queries.current_framework()
    previous = queries.latest_completed_round(home.id)
    return pdf_download(
        "packs/assessment_pack.pdf.html", pdf_filename(home.name, "assessment pack"),
        home_name=home.name, title="Self-assessment pack", produced=now_utc(), home=home,
        contacts=queries.active_contacts(home), role_label=queries.role_label, framework=framework,
        principles=framework.principles,
        previous_round=previous, previous=queries.previous_by_domain(previous))


def assessment_round(assessment: Assessment) -> Response:
    """A round as it was rated, beside the home's completed round before it."""
    home = db.session.get(CareHome, assessment.home_id)
    earlier = queries.latest_completed_round(home.id, before_round=assessment.round)
    return pdf_download(
        "packs/assessment.pdf.html", pdf_filename(home.name, f"assessment round {assessment.round}"),
        home_name=home.name, title=f"Self-assessment, round {assessment.round}", produced=now_utc(),
        assessment=assessment, framework=assessment.framework,
        participants=queries.participant_names(assessment), earlier_round=earlier,
        source_labels=SOURCE_LABELS,
        earlier=queries.previous_by_domain(earlier))


def action_plan(home: CareHome) -> Response:
    """The home's current plan: open actions with owners and due dates, then the closed ones."""
    today = local_today()
    open_rows, closed_rows = queries.action_plan(home, today)
    return pdf_download(
        "packs/action_plan.pdf.html", pdf_filename(home.name, "action plan"),
        home_name=home.name, title="Action plan", produced=now_utc(), home=home, today=today,
        open_rows=open_rows, closed_rows=closed_rows, status_label=queries.status_label)
