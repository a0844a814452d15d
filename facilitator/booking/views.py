"""Screens to book a session or series, and to see, reschedule, cancel and retry one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectChoice

from facilitator import transaction
from facilitator.absence import apologies
from facilitator.access import ADMIN, MANAGERS, READERS, allow, get_or_404, session_or_404
from facilitator.booking import calendar, moves, queries, services, times
from facilitator.booking.forms import BookingForm, CancelForm, RescheduleForm, RetryForm
from facilitator.clock import DAY_RANGE_MESSAGE, as_local, day_in_range, local_today, now_utc, zone_name
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.forms import flash_refusal, show_errors, validate_all
from facilitator.invites import plan_queries
from facilitator.invites.queries import invite_summary
from facilitator.invites.series_render import page_state
from facilitator.invites.states import session_emails
from facilitator.models import Group, MeetingSession, Role, User, can_manage_group
from facilitator.providers import ProviderHub, hub
from facilitator.replies.queries import home_replies

bp = Blueprint("booking", __name__)

# Service field names → form field names, so errors show next to the right input.
FORM_FIELDS = {"starts_at": "date", "repeat.every": "repeat_every", "repeat.count": "repeat_count",
               "repeat.monthly_by": "monthly_by"}


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


def _local_start(form: Any) -> datetime | None:
    if form.date.data is None or form.start_time.data is None:
        return None
    return times.local_moment(form.date.data, form.start_time.data, zone_name())


# Booking -------------------------------------------------------------------------------------

@bp.route("/groups/<int:group_id>/sessions/new", methods=["GET", "POST"])
@allow(MANAGERS)
def book(group_id: int) -> Any:
    group = _managed_group(group_id)
    providers = hub()
    form = BookingForm()
    form.provider.choices = _provider_choices(providers)
    # The page shows the join-link field only for the providers whose link is pasted.
    pasted = " ".join(name for name in providers.names() if providers.needs_join_url(name))
    form.provider.render_kw = {"data-pasted-link": pasted}
    form.record_only.render_kw = {"data-today": local_today().isoformat()}  # the page shows it for past dates
    if request.method == "GET":
        usable = providers.connected()
        form.provider.data = group.provider if group.provider in usable else next(iter(usable), "")
        form.duration_minutes.data = group.default_duration_minutes
        form.title.data = f"{group.name} PSL session"
    if not validate_all(form, lambda: services.booking_problems(
            group, _booking_from(form), providers, zone=zone_name(), now=now_utc()), FORM_FIELDS):
        return _booking_page(group, form, status=422 if request.method == "POST" else 200)
    booking = _booking_from(form)
    try:
        if form.preview.data:
            plan = services.plan_booking(group, booking, providers, zone=zone_name(), now=now_utc())
            return _booking_page(group, form, plan=plan)
        result = services.book_sessions(g.user, group, booking, providers, zone=zone_name(), now=now_utc())
    except services.ClashError as exc:
        show_errors(form, exc, FORM_FIELDS)
        return _booking_page(group, form, status=409, plan=exc.plan)  # the clashes, and "Book anyway"
    except DomainError as exc:
        show_errors(form, exc, FORM_FIELDS)
        return _booking_page(group, form, status=422)
    _flash_booked(len(result.sessions), result.warnings, providers.label(booking.provider or group.provider),
                  recorded=booking.record_only)
    return redirect(url_for("admin.group", group_id=group.id) + "#sessions")


def _booking_from(form: BookingForm) -> services.Booking:
    """What the form asks for; a start the form could not read is None (the form says why)."""
    return services.Booking(
        title=form.title.data, starts_at=_local_start(form), duration_minutes=form.duration_minutes.data,
        provider=form.provider.data, join_url=form.join_url.data,
        every=form.repeat_every.data or None, count=form.repeat_count.data or 1,
        wall_time=form.start_time.data, monthly_by=form.monthly_by.data or "date",
        skip_holidays=form.skip_holidays.data, allow_clash=form.allow_clash.data,
        record_only=form.record_only.data)


def _provider_choices(providers: ProviderHub) -> list[SelectChoice]:
    """Each provider by its label; one that is not connected cannot be chosen."""
    return [SelectChoice(name, providers.label(name) if providers.is_connected(name)
                         else f"{providers.label(name)} (not connected)",
                         {} if providers.is_connected(name) else {"disabled": True})
            for name in providers.names()]


def _booking_page(group: Group, form: BookingForm, status: int = 200,
                  plan: services.Plan | None = None) -> Any:
    providers = hub()
    return render_template("booking/book.html", group=group, form=form, plan=plan, zone=zone_name(), utc=UTC,
                           banners=queries.banners(now_utc()), group_provider=providers.label(group.provider),
                           group_provider_connected=providers.is_connected(group.provider)), status


def _flash_booked(count: int, warnings: list[str], label: str, *, recorded: bool = False) -> None:
    what = "1 session" if count == 1 else f"{count} sessions"
    if recorded:
        flash(f"Recorded {what} that already happened: no meeting was made and no one was invited.",
              "success")
    else:
        flash(f"Booked {what}. Meetings are made on {label} now or, if it is busy, within a few "
              "minutes; the list below shows where each one stands.", "success")
    for warning in warnings:
        flash(warning, "warning")


# One session ---------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>")
@allow(READERS)
def session_page(session_id: int) -> Any:
    session = session_or_404(session_id)
    return render_template("booking/session.html", session=session,
                           series=queries.series_sessions(session), can_manage=session.can_manage(g.user),
                           retry_form=RetryForm(), banners=queries.banners(now_utc()),
                           invites=invite_summary(session), emails=session_emails(session.id, now_utc()),
                           replies=home_replies(session.id), series_invites=page_state(session),
                           apologies=apologies.standing_by_home(session.id),
                           plan=plan_queries.plan_of(session.id), summary=plan_queries.summary_of(session.id))


@bp.route("/sessions/<int:session_id>/reschedule", methods=["GET", "POST"])
@allow(MANAGERS)
def reschedule(session_id: int) -> Any:
    session = _managed_session(session_id)
    form = RescheduleForm()
    form.record_only.render_kw = {"data-today": local_today().isoformat()}  # shown for past dates
    if request.method == "GET":
        _fill_from(form, session)
    if not validate_all(form, lambda: moves.change_problems(_change_from(form), now_utc()), FORM_FIELDS):
        return _reschedule_page(session, form, 422 if request.method == "POST" else 200)
    change = _change_from(form)
    try:
        if form.preview.data:
            plan = services.plan_reschedule(g.user, session, change, now_utc(), _version(form))
            return _reschedule_page(session, form, 200, plan)
        changed = services.reschedule_sessions(
            g.user, session, now=now_utc(), title=change.title, starts_at=change.starts_at,
            duration_minutes=change.duration_minutes, scope=change.scope, expected_version=_version(form),
            allow_clash=change.allow_clash, record_only=change.record_only)
    except DomainError as exc:
        show_errors(form, exc, FORM_FIELDS)
        form.version.data = str(db.session.get(MeetingSession, session_id).version)
        return _reschedule_page(session, form, exc.status, getattr(exc, "plan", None))
    flash("Saved. Everyone invited will get the new details.", "success")
    for note in moves.holiday_notes(changed):
        flash(note, "warning")
    return redirect(url_for("booking.session_page", session_id=session_id))


def _change_from(form: RescheduleForm) -> moves.Change:
    """What the form asks for; a start the form could not read is left alone (the form says why)."""
    start = _local_start(form)
    return moves.Change(form.title.data, moves.UNSET if start is None else start, form.duration_minutes.data,
                        form.scope.data, form.allow_clash.data, form.record_only.data)


def _fill_from(form: RescheduleForm, session: MeetingSession) -> None:
    local = as_local(session.starts_at)
    form.title.data, form.date.data = session.title, local.date()
    form.start_time.data = local.time().replace(tzinfo=None)
    form.duration_minutes.data = session.duration_minutes
    form.version.data = str(session.version)


def _reschedule_page(session: MeetingSession, form: RescheduleForm, status: int,
                     plan: moves.MovePlan | None = None) -> Any:
    return render_template("booking/reschedule.html", session=session, form=form, zone=zone_name(),
                           plan=plan, utc=UTC, banners=queries.banners(now_utc())), status


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
        cancelled = services.cancel_sessions(g.user, session, now=now_utc(), scope=form.scope.data,
                                             expected_version=_version(form))
    except DomainError as exc:
        show_errors(form, exc, FORM_FIELDS)
        form.version.data = str(db.session.get(MeetingSession, session_id).version)
        return _cancel_page(session, form, exc.status)
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
            services.retry_sync(g.user, session, now_utc())
        except DomainError as exc:
            flash_refusal(exc)
        else:
            flash("Sent to the provider again.", "success")
    return redirect(url_for("booking.session_page", session_id=session_id))


def _version(form: Any) -> int | None:
    value = (form.version.data or "").strip()
    return int(value) if value.isdigit() else None


# The facilitator's calendar --------------------------------------------------------------------

@bp.route("/calendar")
@allow(READERS)
def calendar_page() -> Any:
    """A week (the default) or a month of a facilitator's sessions: a facilitator's own; a lead or
    an admin, who see every group's sessions, picks the facilitator (``?facilitator=<id>``)."""
    view, day = _calendar_period_args()
    person = _calendar_person()
    shown = calendar.facilitator_calendar(person, calendar.Period.of(view, day), zone_name())
    people = [] if g.user.role == Role.FACILITATOR else calendar.facilitators()
    return render_template("booking/calendar.html", cal=shown, today=local_today(), people=people,
                           zone=zone_name())


def _calendar_period_args() -> tuple[str, date]:
    view = request.args.get("view") or "week"
    if view not in calendar.VIEWS:
        abort(400, description="Choose view=week or view=month.")
    raw = request.args.get("date")
    try:
        day = date.fromisoformat(raw) if raw else local_today()
    except ValueError:
        abort(400, description="Give the date as YYYY-MM-DD.")
    if not day_in_range(day):
        abort(400, description=DAY_RANGE_MESSAGE)
    return view, day


def _calendar_person() -> User | None:
    """Whose calendar: a facilitator only ever their own; a lead or admin the one they chose."""
    raw = request.args.get("facilitator") or ""
    if g.user.role == Role.FACILITATOR:
        if raw and raw != str(g.user.id):
            abort(403)
        return g.user
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    person = get_or_404(User, int(raw))
    if person.role != Role.FACILITATOR:
        abort(404)
    return person


# Providers (admin) ---------------------------------------------------------------------------

@bp.route("/video-providers", methods=["GET", "POST"])
@allow(ADMIN)
def video_providers() -> Any:
    providers = hub()
    facilitators = list(db.session.scalars(select(User).where(User.role == Role.FACILITATOR)
                                           .order_by(User.name)))
    form = RetryForm()  # CSRF only; the host fields are read from the request
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        hosts = {u.id: request.form.get(f"host-{u.id}", "") for u in facilitators}
        try:
            services.set_zoom_hosts(hosts)
        except DomainError as exc:
            transaction.rollback()
            errors = exc.fields
        else:
            flash("Saved the Zoom hosts.", "success")
            return redirect(url_for("booking.video_providers"))
    rows = [{"name": n, "label": providers.label(n), "connected": providers.is_connected(n),
             "missing": providers.missing_keys(n)} for n in providers.names()]
    return render_template("booking/providers.html", rows=rows, facilitators=facilitators, form=form,
                           errors=errors, default_host=current_app.config.get("ZOOM_HOST_USER"),
                           banners=queries.banners(now_utc())), 422 if errors else 200
