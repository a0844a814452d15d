"""Pages for confidential notes, the supervision log, the cadence overview and the audit trail.

Every page here is sent with ``Cache-Control: no-store``. Pages that show a note or reflections
ask the service, which writes the audit row (or the ``denied`` row) before anything is shown.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from facilitator.access import (
    ADMIN,
    FACILITATOR,
    LOG_VIEWERS,
    NOTE_READERS,
    STAFF,
    SUPERVISOR,
    allow,
    get_or_404,
)
from facilitator.clock import local_today
from facilitator.database import writes_on_get
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.forms import choices, row_id, show_errors, validate_all
from facilitator.models import MeetingSession, Role, User
from facilitator.models.supervision import SessionNote, SupervisionRecord
from facilitator.supervision import comments, lifecycle, queries, services
from facilitator.supervision.crypto import keyring
from facilitator.supervision.forms import CommentForm, ConfirmForm, EditNoteForm, NoteForm, SupervisionForm
from facilitator.supervision.http import (
    request_origin,
    set_no_store,
)
from facilitator.templating import format_datetime

bp = Blueprint("supervision", __name__)


@bp.after_request
def _never_store(response: Any) -> Any:
    return set_no_store(response)


def _render_form(template: str, form: Any, exc: DomainError | None = None, **context: Any) -> Any:
    status = 200 if request.method == "GET" else 422
    if exc is not None:
        show_errors(form, exc)
    return render_template(template, form=form, **context), status


# Notes ----------------------------------------------------------------------------------------

@bp.route("/notes")
@allow(NOTE_READERS)
def notes() -> Any:
    session_id = request.args.get("session_id", type=row_id)
    session = db.session.get(MeetingSession, session_id) if session_id else None
    rows = queries.notes_visible_to(g.user, session.id if session else None)
    return render_template("supervision/notes.html", notes=rows, session=session,
                           keys_ok=keyring().is_available)


def _note_choices(form: Any) -> None:
    homes = queries.homes_for_notes(g.user)
    form.home_id.choices = choices([("", "The whole session")] + [(h.id, h.name) for h in homes])
    if hasattr(form, "session_id"):
        sessions = queries.sessions_for_notes(g.user)
        form.session_id.choices = choices(
            [("", "Choose a session")]
            + [(s.id, f"{s.title} – {s.group.name} – {_when(s)}") for s in sessions])


def _when(session: MeetingSession) -> str:
    return format_datetime(session.starts_at)


@bp.route("/notes/new", methods=["GET", "POST"])
@allow(FACILITATOR)
def new_note() -> Any:
    keyring().require()
    form = NoteForm()
    _note_choices(form)
    if request.method == "GET":
        form.session_id.data = request.args.get("session_id", type=row_id)
    if not form.validate_on_submit():
        return _render_form("supervision/note_form.html", form, note=None)
    try:
        note = services.create_note(g.user, form.session_id.data, form.body.data, request_origin(),
                                    form.home_id.data, bool(form.shared.data))
    except DomainError as exc:
        return _render_form("supervision/note_form.html", form, exc, note=None)
    flash("Your note is saved and encrypted.", "success")
    return redirect(url_for(".note", note_id=note.id))


@bp.route("/notes/<int:note_id>")
@allow(STAFF)
@writes_on_get
def note(note_id: int) -> Any:
    note = get_or_404(SessionNote, note_id)
    text = services.read_note(note, g.user, request_origin())
    return render_template("supervision/note.html", note=note, text=text, delete_form=ConfirmForm())


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@allow(STAFF)
@writes_on_get
def edit_note(note_id: int) -> Any:
    note = get_or_404(SessionNote, note_id)
    origin = request_origin()
    services.check_can_change(note, g.user, origin, "read" if request.method == "GET" else "update")
    form = EditNoteForm()
    _note_choices(form)
    if request.method == "GET":
        form.body.data = services.read_note(note, g.user, origin)
        form.home_id.data, form.shared.data = note.home_id, note.is_shared_with_supervisor
    if not form.validate_on_submit():
        return _render_form("supervision/note_form.html", form, note=note)
    try:
        services.update_note(note, g.user, origin, body=form.body.data, home_id=form.home_id.data,
                             shared=bool(form.shared.data))
    except DomainError as exc:
        return _render_form("supervision/note_form.html", form, exc, note=note)
    flash("Your changes are saved.", "success")
    return redirect(url_for(".note", note_id=note.id))


@bp.route("/notes/<int:note_id>/delete", methods=["POST"])
@allow(STAFF)
def delete_note(note_id: int) -> Any:
    note = get_or_404(SessionNote, note_id)
    services.check_can_change(note, g.user, request_origin(), "delete")
    if not ConfirmForm().validate_on_submit():
        flash("The note was not deleted: please try again.", "error")
        return redirect(url_for(".note", note_id=note.id))
    services.delete_note(note, g.user, request_origin())
    flash("The note is deleted.", "success")
    return redirect(url_for(".notes"))


@bp.route("/notes/<int:note_id>/audit")
@allow(STAFF)
@writes_on_get
def note_audit(note_id: int) -> Any:
    note = get_or_404(SessionNote, note_id)
    return _trail(note, f"Audit of note {note.id}", url_for(".note", note_id=note.id))


def _trail(obj: SessionNote | SupervisionRecord, title: str, back: str) -> Any:
    """The audit rows of one record, for its author or an admin (anyone else is refused)."""
    services.audit_trail(obj, g.user, request_origin())
    events = queries.trail_of(obj.audit_type, obj.id)
    back = back if obj.can_change(g.user) else url_for(".audit_log")
    return render_template("supervision/audit.html", title=title, events=events, back=back,
                           names=queries.names_of({e.actor_id for e in events}))


# Supervision ----------------------------------------------------------------------------------

@bp.route("/supervision")
@allow(STAFF)
def index() -> Any:
    today = local_today()
    if g.user.role == Role.FACILITATOR:
        return render_template("supervision/log.html", summary=queries.summary(g.user, today),
                               keys_ok=keyring().is_available)
    if g.user.role == Role.SUPERVISOR:
        return render_template("supervision/supervisees.html",
                               summaries=queries.overview(today, supervisor=g.user))
    return render_template("supervision/overview.html", summaries=queries.overview(today))


def _supervisor_choices(form: SupervisionForm) -> None:
    supervisors = db.session.scalars(
        select(User).where(User.role == Role.SUPERVISOR, User.is_active).order_by(User.name))
    form.supervisor_id.choices = choices(
        [("", "An external supervisor (name them below)")] + [(u.id, u.name) for u in supervisors])


@bp.route("/supervision/new", methods=["GET", "POST"])
@allow(FACILITATOR)
def new_record() -> Any:
    keyring().require()
    form = SupervisionForm()
    _supervisor_choices(form)
    if request.method == "GET":
        form.held_on.data, form.supervisor_id.data = local_today(), g.user.supervisor_id
    if not validate_all(form, lambda: services.record_problems(form.to_input(), local_today())):
        return _render_form("supervision/form.html", form, record=None)
    try:
        record = services.record_supervision(g.user, form.to_input(), request_origin(), local_today())
    except DomainError as exc:
        return _render_form("supervision/form.html", form, exc, record=None)
    flash("Your supervision is recorded.", "success")
    return redirect(url_for(".record", record_id=record.id))


@bp.route("/supervision/facilitators/<int:user_id>/new", methods=["GET", "POST"])
@allow(SUPERVISOR)
def new_record_for(user_id: int) -> Any:
    """A supervisor records a supervision with their own supervisee; it goes in the supervisee's
    log, shared with the supervisor, for the supervisee to add their reflections."""
    keyring().require()
    person = _own_supervisee(user_id)
    form = SupervisionForm()
    _supervisor_choices(form)
    if request.method == "GET":
        form.held_on.data = local_today()

    def problems() -> dict[str, str]:
        return services.record_problems(services.as_supervisor(form.to_input(), g.user), local_today())

    if not validate_all(form, problems):
        return _render_form("supervision/form.html", form, record=None, person=person)
    try:
        record = services.record_supervision(person, form.to_input(), request_origin(), local_today(),
                                             recorded_by=g.user)
    except DomainError as exc:
        return _render_form("supervision/form.html", form, exc, record=None, person=person)
    flash(f"The supervision is recorded in {person.name}'s log.", "success")
    return redirect(url_for(".record", record_id=record.id))


def _own_supervisee(user_id: int) -> User:
    """A facilitator; to a supervisor, only their own supervisees (anyone else is "not found")."""
    person = get_or_404(User, user_id)
    others = g.user.role == Role.SUPERVISOR and person.supervisor_id != g.user.id
    if person.role != Role.FACILITATOR or others:
        abort(404)
    return person


@bp.route("/supervision/records/<int:record_id>")
@allow(STAFF)
@writes_on_get
def record(record_id: int) -> Any:
    record = get_or_404(SupervisionRecord, record_id)
    return _show_record(record, CommentForm(formdata=None))


def _show_record(record: SupervisionRecord, comment_form: CommentForm, status: int = 200) -> Any:
    origin = request_origin()
    content = services.read_record(record, g.user, origin)
    return render_template("supervision/record.html", record=record, content=content,
                           comments=comments.comments_for(record, g.user, origin),
                           comment_form=comment_form, delete_form=ConfirmForm()), status


@bp.route("/supervision/records/<int:record_id>/comments", methods=["POST"])
@allow(STAFF)
def comment_record(record_id: int) -> Any:
    """A comment on a shared record: its supervisor's, or the facilitator's answer."""
    record = get_or_404(SupervisionRecord, record_id)
    origin = request_origin()
    comments.check_can_comment(record, g.user, origin)
    form = CommentForm()
    if not validate_all(form, lambda: comments.comment_problems(form.body.data)):
        return _show_record(record, form, 422)
    try:
        comments.add_comment(record, g.user, form.body.data, origin)
    except DomainError as exc:
        show_errors(form, exc)
        return _show_record(record, form, 422)
    flash("Your comment is saved.", "success")
    return redirect(url_for(".record", record_id=record.id) + "#comments")


@bp.route("/supervision/records/<int:record_id>/edit", methods=["GET", "POST"])
@allow(STAFF)
@writes_on_get
def edit_record(record_id: int) -> Any:
    record = get_or_404(SupervisionRecord, record_id)
    origin = request_origin()
    services.check_can_change(record, g.user, origin, "read" if request.method == "GET" else "update")
    form = SupervisionForm()
    _supervisor_choices(form)
    if request.method == "GET":
        content = services.read_record(record, g.user, origin)
        form.fill(record, content.themes, content.reflections, content.actions)
    if not validate_all(form, lambda: services.record_problems(form.to_input(), local_today())):
        return _render_form("supervision/form.html", form, record=record)
    try:
        services.update_record(record, g.user, origin, form.to_input(), local_today())
    except DomainError as exc:
        return _render_form("supervision/form.html", form, exc, record=record)
    flash("Your changes are saved.", "success")
    return redirect(url_for(".record", record_id=record.id))


@bp.route("/supervision/records/<int:record_id>/delete", methods=["POST"])
@allow(STAFF)
def delete_record(record_id: int) -> Any:
    record = get_or_404(SupervisionRecord, record_id)
    services.check_can_change(record, g.user, request_origin(), "delete")
    if not ConfirmForm().validate_on_submit():
        flash("The record was not deleted: please try again.", "error")
        return redirect(url_for(".record", record_id=record.id))
    services.delete_record(record, g.user, request_origin())
    flash("The supervision record is deleted.", "success")
    return redirect(url_for(".index"))


@bp.route("/supervision/records/<int:record_id>/audit")
@allow(STAFF)
@writes_on_get
def record_audit(record_id: int) -> Any:
    record = get_or_404(SupervisionRecord, record_id)
    return _trail(record, f"Audit of supervision record {record.id}",
                  url_for(".record", record_id=record.id))


@bp.route("/supervision/facilitators/<int:user_id>")
@allow(LOG_VIEWERS)
def facilitator_log(user_id: int) -> Any:
    """Dates and cadence of one facilitator; for their own supervisor, also the shared entries.

    A supervisor only has their own supervisees here: anyone else is "not found" to them.
    """
    person = _own_supervisee(user_id)
    return render_template("supervision/facilitator.html",
                           summary=queries.summary(person, local_today()))


# Admin: what exists, retention and the trail --------------------------------------------------

@bp.route("/admin/confidential")
@allow(ADMIN)
def confidential() -> Any:
    cutoff = queries.retention_cutoff(local_today())
    counts = queries.confidential_counts(cutoff)
    return render_template("supervision/confidential.html", counts=counts, cutoff=cutoff,
                           expired=sum(c.expired for c in counts), form=ConfirmForm())


@bp.route("/admin/confidential/purge", methods=["POST"])
@allow(ADMIN)
def purge() -> Any:
    if not ConfirmForm().validate_on_submit():
        flash("Nothing was deleted: please try again.", "error")
        return redirect(url_for(".confidential"))
    gone = lifecycle.purge(queries.retention_cutoff(local_today()), g.user, request_origin())
    flash(f"Deleted {len(gone)} records past the retention period.", "success")
    return redirect(url_for(".confidential"))


@bp.route("/admin/audit")
@allow(ADMIN)
def audit_log() -> Any:
    events = queries.recent_events(before=request.args.get("before", type=row_id))
    people = {e.actor_id for e in events} | {e.owner_id for e in events}
    return render_template("supervision/audit_log.html", events=events, names=queries.names_of(people),
                           older=events[-1].id if events and events[-1].id > 1 else None)


# Wiring ---------------------------------------------------------------------------------------
