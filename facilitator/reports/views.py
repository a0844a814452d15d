"""The programme report for leads and admins: the page (a filter form, every problem at once,
422 naming each field), its PDF and CSV, freezing it, and the frozen snapshots."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from facilitator.access import LEAD_OR_ADMIN, allow, get_or_404
from facilitator.attendance.filters import filter_choices
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.errors import DomainError
from facilitator.models import ProgrammeReport
from facilitator.paper import pdf_filename, pdf_response
from facilitator.reports import document, filters, snapshots
from facilitator.reports.blueprint import bp
from facilitator.reports.figures import figures
from facilitator.reports.labels import cover_lines


class FreezeForm(FlaskForm):
    """Only the CSRF token: the inputs are the report's filters and the narrative, read by
    ``filters.parse`` so every problem shows at once."""


def _page(problems: dict[str, str], data: dict[str, Any] | None, status: int = 200) -> Any:
    groups, regions = filter_choices()
    return render_template("reports/programme.html", problems=problems, figures=data, groups=groups,
                           regions=regions, areas=COUNCIL_AREAS, args=request.values, form=FreezeForm(),
                           cover=cover_lines(data["filters"]) if data else []), status


def _figures_or_422() -> dict[str, Any]:
    chosen, problems = filters.parse(request.args)
    if problems:
        abort(422, description=" ".join(f"{k}: {v}" for k, v in problems.items()))
    return figures(chosen)


@bp.route("/reports/programme")
@allow(LEAD_OR_ADMIN)
def programme_page() -> Any:
    if not {"from", "to"} & set(request.args):
        return _page({}, None)
    chosen, problems = filters.parse(request.args)
    if problems:
        return _page(problems, None, 422)
    return _page({}, figures(chosen))


@bp.route("/reports/programme.pdf")
@allow(LEAD_OR_ADMIN)
def programme_pdf() -> Response:
    data = _figures_or_422()
    return pdf_response(document.pdf(data, ""), pdf_filename("programme report", data["filters"]["from"],
                                                             data["filters"]["to"]))


@bp.route("/reports/programme.csv")
@allow(LEAD_OR_ADMIN)
def programme_csv() -> Response:
    data = _figures_or_422()
    response = Response(document.csv_text(data), content_type="text/csv; charset=utf-8")
    name = f"programme-report-{data['filters']['from']}-{data['filters']['to']}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/reports/programme/freeze", methods=["POST"])
@allow(LEAD_OR_ADMIN)
def freeze() -> Any:
    if not FreezeForm().validate_on_submit():
        abort(400, description="The form has expired: reload the page and try again.")
    chosen, problems = filters.parse(request.form)
    if not problems:
        try:
            report = snapshots.freeze_report(chosen, request.form.get("narrative", ""), g.user)
        except DomainError as exc:
            problems = exc.fields
    if problems:
        return _page(problems, None, 422)
    flash("The report is frozen: this snapshot will not change.", "success")
    return redirect(url_for("reports.snapshot", report_id=report.id))


@bp.route("/reports/programme/snapshots")
@allow(LEAD_OR_ADMIN)
def snapshot_list() -> Any:
    return render_template("reports/snapshots.html", snapshots=snapshots.snapshots(), cover_lines=cover_lines)


@bp.route("/reports/programme/snapshots/<int:report_id>")
@allow(LEAD_OR_ADMIN)
def snapshot(report_id: int) -> Any:
    report = get_or_404(ProgrammeReport, report_id)
    return render_template("reports/snapshot.html", report=report, figures=report.figures,
                           cover=cover_lines(report.figures["filters"]))


@bp.route("/reports/programme/snapshots/<int:report_id>.pdf")
@allow(LEAD_OR_ADMIN)
def snapshot_pdf(report_id: int) -> Response:
    report = get_or_404(ProgrammeReport, report_id)
    return pdf_response(report.pdf, pdf_filename("programme report snapshot", str(report.id)))
