"""Screens to book a session or series, and to see, reschedule, cancel and retry one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from facilitator.access import ADMIN, READERS, allow, get_or_404
from facilitator.booking import providers, queries, services, sync
from facilitator.booking.forms import BookingForm, CancelForm, RescheduleForm, RetryForm
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.forms import apply_domain_errors
from facilitator.models import Group, MeetingSession, Role, User, can_manage_group
from facilitator.templating import local_time

bp = Blueprint("booking", __name__)

MANAGERS = frozenset({Role.ADMIN.value, Role.FACILITATOR.value})
# Service field names → form field names, so errors show next to the right input.
FORM_FIELDS = {"starts_at": "date", "repeat.every": "repeat_every", "repeat.count": "repeat_count"}


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        booking_panel=lambda group: queries.panel(group, g.get("user")),
        my_upcoming_sessions=lambda: queries.upcoming_for(g.user, providers.hub().clock()),
        sync_label=queries.sync_label,
        provider_label=lambda name: providers.hub().label(name),
    )


def _zone() -> str:
    return current_app.config["TIMEZONE"]


def _now() -> datetime:
    return providers.hub().clock()


def _managed_group(group_id: int) -> Group:
    group = get_or_404(Group, group_id)
    if not can_manage_group(g.user, group):
        abort(403)
    return group


def _managed_session(session_id: int) -> MeetingSession:
    session = get_or_404(MeetingSession, session_id)
    if not session.can_manage(g.user):
        abort(403)
    return session


def _show_errors(form: Any, exc: DomainError) -> None:
    db.session.rollback()
    mapped = DomainError(exc.message, {FORM_FIELDS.get(k, k): v for k, v in exc.fields.items()})
    apply_domain_errors(form, mapped)


def _local_start(form: Any) -> datetime:
    return services.local_moment(form.date.data, form.start_time.data, _zone())


# Booking -------------------------------------------------------------------------------------

@bp.route("/groups/<int:group_id>/sessions/new", methods=["GET", "POST"])
@allow(MANAGERS)
def book(group_id: int) -> Any:
    group = _managed_group(group_id)
    hub = providers.hub()
    form = BookingForm()
    form.provider.choices = _provider_choices(hub)
    if request.method == "GET":
        connected = [name for name in hub.names() if hub.is_connected(name)]
        form.provider.data = group.provider if hub.is_connected(group.provider) else next(iter(connected), "")
        form.duration_minutes.data = group.default_duration_minutes
        form.title.data = f"{group.name} PSL session"
    if not form.validate_on_submit():
        return _booking_page(group, form, status=422 if request.method == "POST" else 200)
    booking = services.Booking(
        title=form.title.data, starts_at=_local_start(form), duration_minutes=form.duration_minutes.data,
        provider=form.provider.data, join_url=form.join_url.data,
        every=form.repeat_every.data or None, count=form.repeat_count.data or 1)
    try:
        if form.preview.data:
            plan = services.plan_booking(group, booking, hub, zone=_zone(), now=_now())
            return _booking_page(group, form, plan=plan)
        result = services.book_sessions(g.user, group, booking, hub, zone=_zone(), now=_now())
    except DomainError as exc:
        _show_errors(form, exc)
        return _booking_page(group, form, status=422)
    db.session.commit()
    ids = [s.id for s in result.sessions]
    sync.push(ids)
    _flash_booked(len(ids), result.warnings, hub.label(booking.provider or group.provider))
    return redirect(url_for("admin.group", group_id=group.id) + "#sessions")


def _provider_choices(hub: providers.ProviderHub) -> list[SelectChoice]:
    return [SelectChoice(name, hub.label(name) if hub.is_connected(name)
                         else f"{hub.label(name)} (not connected)",
                         {} if hub.is_connected(name) else {"disabled": True})
            for name in hub.names()]


def _booking_page(group: Group, form: BookingForm, status: int = 200,
                  plan: services.Plan | None = None) -> Any:
    hub = providers.hub()
    return render_template("booking/book.html", group=group, form=form, plan=plan, zone=_zone(), utc=UTC,
                           banners=queries.banners(_now()), group_provider=hub.label(group.provider),
                           group_provider_connected=hub.is_connected(group.provider)), status


def _flash_booked(count: int, warnings: list[str], label: str) -> None:
    what = "1 session" if count == 1 else f"{count} sessions"
    flash(f"Booked {what}. Meetings are made on {label} now or, if it is busy, within a few minutes; "
          "the list below shows where each one stands.", "success")
    for warning in warnings:
        flash(warning, "warning")


# One session ---------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>")
@allow(READERS)
def session_page(session_id: int) -> Any:
    session = get_or_404(MeetingSession, session_id)
    return render_template("booking/session.html", session=session,
                           series=queries.series_sessions(session), can_manage=session.can_manage(g.user),
                           retry_form=RetryForm(), banners=queries.banners(_now()))


@bp.route("/sessions/<int:session_id>/reschedule", methods=["GET", "POST"])
@allow(MANAGERS)
def reschedule(session_id: int) -> Any:
    session = _managed_session(session_id)
    form = RescheduleForm()
    if request.method == "GET":
        _fill_from(form, session)
    if not form.validate_on_submit():
        return _reschedule_page(session, form, 422 if request.method == "POST" else 200)
    try:
        services.reschedule_sessions(
            g.user, session, now=_now(), title=form.title.data, starts_at=_local_start(form),
            duration_minutes=form.duration_minutes.data, scope=form.scope.data,
            expected_version=_version(form))
    except DomainError as exc:
        _show_errors(form, exc)
        form.version.data = str(db.session.get(MeetingSession, session_id).version)
        return _reschedule_page(session, form, exc.status)
    db.session.commit()
    sync.push(_pending_ids(session))
    flash("Saved. Everyone invited will get the new details.", "success")
    return redirect(url_for("booking.session_page", session_id=session_id))


def _fill_from(form: RescheduleForm, session: MeetingSession) -> None:
    local = local_time(session.starts_at)
    form.title.data, form.date.data = session.title, local.date()
    form.start_time.data = local.time().replace(tzinfo=None)
    form.duration_minutes.data = session.duration_minutes
    form.version.data = str(session.version)


def _reschedule_page(session: MeetingSession, form: RescheduleForm, status: int) -> Any:
    return render_template("booking/reschedule.html", session=session, form=form, zone=_zone(),
                           banners=queries.banners(_now())), status


@bp.route("/sessions/<int:session_id>/cancel", methods=["GET", "POST"])
@allow(MANAGERS)
def cancel(session_id: int) -> Any:
    session = _managed_session(session_id)
    form = CancelForm()
    if request.method == "GET":
        form.version.data = str(session.version)
    if not form.validate_on_submit():
        return _cancel_page(session, form, 422 if request.method == "POST" else 200)
    try:
        cancelled = services.cancel_sessions(g.user, session, now=_now(), scope=form.scope.data,
                                             expected_version=_version(form))
    except DomainError as exc:
        _show_errors(form, exc)
        form.version.data = str(db.session.get(MeetingSession, session_id).version)
        return _cancel_page(session, form, exc.status)
    db.session.commit()
    sync.push([s.id for s in cancelled])
    what = "1 session" if len(cancelled) == 1 else f"{len(cancelled)} sessions"
    flash(f"Cancelled {what}. Everyone invited will be told.", "success")
    return redirect(url_for("booking.session_page", session_id=session_id))


def _cancel_page(session: MeetingSession, form: CancelForm, status: int) -> Any:
    return render_template("booking/cancel.html", session=session, form=form), status


@bp.route("/sessions/<int:session_id>/retry", methods=["POST"])
@allow(MANAGERS)
def retry(session_id: int) -> Any:
    session = _managed_session(session_id)
    if RetryForm().validate_on_submit():
        try:
            services.retry_sync(g.user, session, _now())
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            sync.push([session_id])
            flash("Sent to the provider again.", "success")
    return redirect(url_for("booking.session_page", session_id=session_id))


def _version(form: Any) -> int | None:
    value = (form.version.data or "").strip()
    return int(value) if value.isdigit() else None


def _pending_ids(session: MeetingSession) -> list[int]:
    """The session and, after a change to "this and following", the rest of its series."""
    return [s.id for s in queries.series_sessions(session) or [session] if s.sync_state == "pending"]


# Providers (admin) ---------------------------------------------------------------------------

@bp.route("/video-providers", methods=["GET", "POST"])
@allow(ADMIN)
def video_providers() -> Any:
    hub = providers.hub()
    facilitators = list(db.session.scalars(select(User).where(User.role == Role.FACILITATOR)
                                           .order_by(User.name)))
    form = RetryForm()  # CSRF only; the host fields are read from the request
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        hosts = {u.id: request.form.get(f"host-{u.id}", "") for u in facilitators}
        try:
            services.set_zoom_hosts(hosts)
        except DomainError as exc:
            db.session.rollback()
            errors = exc.fields
        else:
            db.session.commit()
            flash("Saved the Zoom hosts.", "success")
            return redirect(url_for("booking.video_providers"))
    rows = [{"name": n, "label": hub.label(n), "connected": hub.is_connected(n),
             "missing": hub.missing_keys(n)} for n in hub.names()]
    return render_template("booking/providers.html", rows=rows, facilitators=facilitators, form=form,
                           errors=errors, default_host=current_app.config.get("ZOOM_HOST_USER"),
                           banners=queries.banners(_now())), 422 if errors else 200
