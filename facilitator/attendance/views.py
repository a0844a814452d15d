"""Screens: a session's register (with import, the unmatched queue and the import's proposals),
the list of registers, and the leads' dashboard with its printable version and CSV export.
Zoom's webhook is this area's too (``webhook``), on the same blueprint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.access import LEAD_OR_ADMIN, MANAGERS, READERS, allow, facilitated_group_ids, get_or_404
from facilitator.attendance import export, imports, register_page, report, worker
from facilitator.attendance import filters as report_filters
from facilitator.attendance import register as register_rules
from facilitator.attendance.blueprint import bp
from facilitator.attendance.follow_up_clock import no_contact_days
from facilitator.attendance.forms import (
    AcceptImportForm,
    AssignForm,
    FilterForm,
    ImportForm,
    RegisterForm,
    assign_choices,
)
from facilitator.attendance.register import RegisterConflict, RowInput
from facilitator.attendance.register_page import RegisterView
from facilitator.clock import local_today, now_utc, zone
from facilitator.errors import DomainError, form_again
from facilitator.extensions import db
from facilitator.forms import choices, flash_refusal, show_errors
from facilitator.journey import action_queries
from facilitator.models import MeetingSession, Role, SessionStatus, can_manage_group
from facilitator.models.attendance import (
    AttendanceParticipant,
    AttendanceRegister,
    AttendanceStatus,
    can_read_register,
)
from facilitator.providers import hub
from facilitator.replies.queries import home_replies

RECENT_DAYS = 90


def _readable(session_id: int) -> MeetingSession:
    session = get_or_404(MeetingSession, session_id)
    if not can_read_register(g.user, session.group):
        abort(403)
    return session


def _takeable(session_id: int) -> MeetingSession:
    session = get_or_404(MeetingSession, session_id)
    if not can_manage_group(g.user, session.group):
        abort(403)
    return session


def _back(session: MeetingSession) -> Any:
    return redirect(url_for("attendance.register", session_id=session.id))


# Registers -----------------------------------------------------------------------------------

@bp.route("/registers")
@allow(READERS)
def registers() -> Any:
    now = now_utc()
    query = (select(MeetingSession, AttendanceRegister)
             .outerjoin(AttendanceRegister, AttendanceRegister.session_id == MeetingSession.id)
             .where(MeetingSession.status != SessionStatus.CANCELLED, MeetingSession.starts_at <= now,
                    MeetingSession.starts_at >= now - timedelta(days=RECENT_DAYS))
             .options(selectinload(MeetingSession.group))
             .order_by(MeetingSession.starts_at.desc()).limit(300))
    if g.user.role == Role.FACILITATOR:
        query = query.where(MeetingSession.group_id.in_(facilitated_group_ids(g.user) or {0}))
    return render_template("attendance/registers.html", rows=db.session.execute(query).all(),
                           days=RECENT_DAYS)


@bp.route("/sessions/<int:session_id>/register")
@allow(READERS)
def register(session_id: int) -> Any:
    session = _readable(session_id)
    view = register_page.register_view(session)
    return _page(view, _form_for(view))


def _form_for(view: RegisterView) -> RegisterForm:
    rows = []
    for line in view.lines:
        e = line.entry
        rows.append({"home_id": str(line.home.id), "status": e.status if e else None,
                     "staff_count": e.staff_count if e else None, "engagement": e.engagement if e else None,
                     "senior_present": e.senior_present if e else None, "comment": e.comment if e else ""})
    return RegisterForm(data={"version": str(view.version), "rows": rows})


def _page(view: RegisterView, form: RegisterForm, status: int = 200,
          conflict: RegisterConflict | None = None, notice: str | None = None) -> Any:
    now = now_utc()
    assign_form = AssignForm(formdata=None)
    assign_form.target.choices = assign_choices([line.home for line in view.lines])
    session = view.session
    importable = hub().imports_attendance(session.provider) and bool(session.provider_meeting_id)
    return render_template(
        "attendance/register.html", view=view, form=form, lines={line.home.id: line for line in view.lines},
        can_take=can_manage_group(g.user, session.group), started=session.starts_at <= now,
        assign_form=assign_form, conflict=conflict, import_form=ImportForm(), accept_form=AcceptImportForm(),
        notice=notice, mark_all=MARK_ALL, replies=home_replies(session.id), today=local_today(),
        plans=action_queries.open_plans(line.home.id for line in view.lines),
        importable=importable, provider=hub().label(session.provider)), status


# The register shown again when the database failed during its save (``errors.form_again``).
NOT_SAVED = ("We could not save the register just now; nothing was saved. Your entries are still "
             "here — try Save again in a minute.")


def _register_again(session_id: int) -> Any:
    """The register as it was submitted, every entry still typed in, and why it was not saved."""
    session = _takeable(session_id)
    form = RegisterForm()  # from the submitted form: what was typed
    form.form_errors.append(NOT_SAVED)
    return _page(register_page.register_view(session), form, 503)


@bp.route("/sessions/<int:session_id>/register", methods=["POST"])
@allow(MANAGERS)
@form_again(_register_again)
def save_register(session_id: int) -> Any:
    session = _takeable(session_id)
    form = RegisterForm()
    if MARK_ALL in request.form:
        return _marked_all_present(session, form)
    if not form.validate_on_submit():
        return _page(register_page.register_view(session), form, 422)
    rows = [_row_input(row.form) for row in form.rows]
    try:
        register_rules.save_register(session, rows, expected_version=int(form.version.data), user=g.user,
                                     now=now_utc())
    except RegisterConflict as exc:
        show_errors(form, exc)
        form.version.data = str(exc.version)
        return _page(register_page.register_view(session), form, 409, conflict=exc)
    except DomainError as exc:
        show_errors(form, exc)
        return _page(register_page.register_view(session), form, 422)
    flash("The register is saved.", "success")
    return _back(session)


# The register's "Mark all present" button: its name on the save form.
MARK_ALL = "mark_all"
MARKED_ALL = ("Every home is marked present. Change the homes that were not, then save the register: "
              "nothing is saved yet.")


LEFT_AS_THEY_WERE = " Homes that sent apologies or are paused are left as they were."


def _marked_all_present(session: MeetingSession, form: RegisterForm) -> Any:
    """The register as submitted, with every home's status set to present and nothing saved, so
    the facilitator changes only the exceptions before saving (works without JavaScript). A home
    still excused by its apology, or paused, is left as it was (``RegisterLine.left_as_it_is``)."""
    view = register_page.register_view(session)
    lines = {str(line.home.id): line for line in view.lines}
    skipped = False
    for row in form.rows:
        line = lines.get(str(row.form.home_id.data))
        if line is not None and line.left_as_it_is:
            skipped = True
            continue
        row.form.status.data = AttendanceStatus.PRESENT.value
    return _page(view, form, notice=MARKED_ALL + (LEFT_AS_THEY_WERE if skipped else ""))


def _row_input(row: Any) -> RowInput:
    return RowInput(home_id=int(row.home_id.data), status=row.status.data, staff_count=row.staff_count.data,
                    engagement=row.engagement.data, comment=(row.comment.data or "").strip(),
                    senior_present=row.senior_present.data, confirm_join=bool(row.confirm_join.data))


@bp.route("/sessions/<int:session_id>/register/import", methods=["POST"])
@allow(MANAGERS)
def import_register(session_id: int) -> Any:
    session = _takeable(session_id)
    if not ImportForm().validate_on_submit():
        flash("The form had expired. Please try again.", "error")
        return _back(session)
    try:
        outcome = worker.import_now(session, user=g.user)
    except DomainError as exc:
        flash_refusal(exc)
        return _back(session)
    category = {"done": "success", "queued": "info"}.get(outcome.state, "error")
    flash(f"Import: {outcome.message}", category)
    return _back(session)


@bp.route("/sessions/<int:session_id>/register/accept-import", methods=["POST"])
@allow(MANAGERS)
def accept_import(session_id: int) -> Any:
    session = _takeable(session_id)
    if not AcceptImportForm().validate_on_submit():
        flash("The form had expired. Please try again.", "error")
        return _back(session)
    try:
        changes = register_rules.accept_proposals(session, user=g.user, now=now_utc())
    except DomainError as exc:
        flash_refusal(exc)
        return _back(session)
    flash(f"Used the imported figures ({len(changes)} changes).", "success")
    return _back(session)


@bp.route("/sessions/<int:session_id>/register/people", methods=["POST"])
@allow(MANAGERS)
def assign_person(session_id: int) -> Any:
    session = _takeable(session_id)
    form = AssignForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors) or "Please try again.", "error")
        return _back(session)
    person = db.session.get(AttendanceParticipant, int(form.participant_id.data))
    if person is None or person.session_id != session.id:
        abort(404)
    try:
        imports.assign_participant(person, home_id=form.home_id, ignored_as=form.ignored_as, user=g.user,
                                   now=now_utc(), rules=imports.current_rules())
    except DomainError as exc:
        flash_refusal(exc)
        return _back(session)
    flash(f"Saved. {person.name or 'They'} will be recognised by themselves next time.", "success")
    return _back(session)


# The leads' dashboard ------------------------------------------------------------------------

def filters_from_request() -> tuple[FilterForm, report_filters.Filters | None]:
    """The filters in the query string (group_id, region, from, to); None when not valid."""
    form = FilterForm(formdata=request.args)
    groups, regions = report_filters.filter_choices()
    form.group_id.choices = choices([("", "All groups")] + [(gr.id, gr.name) for gr in groups])
    form.region.choices = choices([("", "All regions")] + [(r, r) for r in regions])
    # Regions are matched whatever their case, as in the API ("glasgow" is Glasgow).
    known = {r.casefold(): r for r in regions}
    form.region.data = known.get(str(form.region.data or "").strip().casefold(), form.region.data)
    if not form.validate():
        return form, None
    return form, report_filters.Filters(group_id=form.group_id.data, region=form.region.data or None,
                                 date_from=form.date_from.data, date_to=form.date_to.data)


# With every group on one page the charts show each group's latest sessions only: 40 groups of
# two years of weekly sessions would be 100,000 squares. Choosing a group shows all of its own.
CHARTED_SESSIONS = 12


def _report(template: str, **extra: Any) -> Any:
    form, filters = filters_from_request()
    if filters is None:
        return render_template(template, form=form, report=None, generated=now_utc(), **extra), 422
    charted = None if filters.group_id is not None else CHARTED_SESSIONS
    engagement = report.engagement_report(filters, now=now_utc(), zone=zone(), charted=charted)
    no_contact = no_contact_days((r.group.id, r.home.id) for r in engagement.attention)
    return render_template(template, form=form, report=engagement, generated=now_utc(), no_contact=no_contact,
                           **extra)


@bp.route("/reports/attendance")
@allow(LEAD_OR_ADMIN)
def dashboard() -> Any:
    """The engagement report, and the action plans: totals, and the homes most overdue."""
    plans, attention = action_queries.dashboard_plans(local_today())
    return _report("attendance/dashboard.html", plans=plans, attention=attention)


@bp.route("/reports/attendance/print")
@allow(LEAD_OR_ADMIN)
def printable() -> Any:
    return _report("attendance/print.html")


@bp.route("/reports/attendance.csv")
@allow(LEAD_OR_ADMIN)
def attendance_csv() -> Any:
    form, filters = filters_from_request()
    if filters is None:
        problems = "; ".join(f"{name}: {' '.join(errs)}" for name, errs in form.errors.items())
        return Response(f"The filters are not valid: {problems}\n", status=422, mimetype="text/plain")
    now = now_utc()
    plan = export.export_plan(filters, now=now, zone=zone())
    engine = db.engine

    def stream() -> Any:
        # Its own connection: the stream outlives the request's context and its session.
        with engine.connect() as connection:
            yield from export.csv_lines(export.export_rows(plan, connection))

    name = f"attendance-{now.astimezone(zone()):%Y-%m-%d}.csv"
    return Response(stream(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Content-Type": "text/csv; charset=utf-8"})
