"""A session's plan and summary pages: edit the plan; write the summary, preview it, send it once.

Only the group's facilitators and admins reach them (others of the staff get 403, another
group's facilitator 404, as for the session itself). Nothing here reads a confidential note.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for

from facilitator.access import MANAGERS, allow, session_or_404
from facilitator.clock import now_utc
from facilitator.errors import DomainError
from facilitator.forms import flash_refusal, show_errors, validate_all
from facilitator.invites import plan_queries as queries
from facilitator.models import MeetingSession
from facilitator.plans import preview, services
from facilitator.plans.blueprint import bp
from facilitator.plans.forms import PlanForm, SendForm, SummaryForm
from facilitator.resources.queries import search


def _managed(session_id: int) -> MeetingSession:
    session = session_or_404(session_id)
    if not session.can_manage(g.user):
        abort(403)
    return session


def _to_session(session: MeetingSession) -> Any:
    return redirect(url_for("booking.session_page", session_id=session.id))


def _plan_page(session: MeetingSession, form: PlanForm, status: int) -> Any:
    upcoming = session.starts_at > now_utc()
    return render_template("plans/plan.html", session=session, form=form, upcoming=upcoming), status


@bp.route("/sessions/<int:session_id>/plan", methods=["GET", "POST"])
@allow(MANAGERS)
def plan(session_id: int) -> Any:
    session = _managed(session_id)
    stored = queries.plan_of(session.id)
    form = PlanForm(obj=stored).offer(search(), stored.resources if stored else ())
    if not validate_all(form, lambda: services.plan_problems(form.data_typed())):
        return _plan_page(session, form, 422 if form.is_submitted() else 200)
    try:
        services.save_plan(session, form.data_typed(), g.user, now_utc())
    except DomainError as exc:
        show_errors(form, exc)
        return _plan_page(session, form, exc.status)
    flash("The plan is saved.", "success")
    return _to_session(session)


@bp.route("/sessions/<int:session_id>/summary", methods=["GET", "POST"])
@allow(MANAGERS)
def summary(session_id: int) -> Any:
    session = _managed(session_id)
    stored = queries.summary_of(session.id)
    if stored is not None and stored.is_sent:  # it went as it is: a change is refused
        status = 409 if request.method == "POST" else 200
        return render_template("plans/summary_sent.html", session=session, summary=stored), status
    form = SummaryForm(obj=stored).offer(search(), stored.resources if stored else ())
    if not validate_all(form, lambda: services.summary_problems(form.data_typed())):
        status = 422 if form.is_submitted() else 200
        return render_template("plans/summary.html", session=session, form=form), status
    try:
        services.save_summary(session, form.data_typed(), g.user, now_utc())
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("plans/summary.html", session=session, form=form), exc.status
    flash("The summary is saved: preview it, then send it.", "success")
    return redirect(url_for("plans.summary_preview", session_id=session.id))


@bp.route("/sessions/<int:session_id>/summary/preview")
@allow(MANAGERS)
def summary_preview(session_id: int) -> Any:
    session = _managed(session_id)
    try:
        shown = preview.preview(session, now_utc())
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for("plans.summary", session_id=session.id))
    return render_template("plans/preview.html", session=session, preview=shown, form=SendForm())


@bp.route("/sessions/<int:session_id>/summary/send", methods=["POST"])
@allow(MANAGERS)
def summary_send(session_id: int) -> Any:
    session = _managed(session_id)
    if not SendForm().validate_on_submit():
        flash("The form had expired: nothing was sent. Check the preview and send it again.", "error")
        return redirect(url_for("plans.summary_preview", session_id=session.id))
    try:
        queued = services.send_summary(session, g.user, now_utc())
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for("plans.summary", session_id=session.id))
    flash(f"The summary is on its way to {queued} contact{'s' if queued != 1 else ''}.", "success")
    return redirect(url_for("plans.summary", session_id=session.id))
