"""The facilitator's follow-ups: the list (their groups; open and snoozed first) and a follow-up's
page, where they log a contact, snooze it, close it, and send "We missed you" after its preview.
Leads read every one; another group's follow-up answers 404, as for another group's session."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, url_for

from facilitator.access import MANAGERS, READERS, allow, get_or_404
from facilitator.attendance.follow_up_clock import waiting
from facilitator.clock import now_utc
from facilitator.errors import DomainError
from facilitator.followups import missed_you, queries, services
from facilitator.followups.blueprint import bp
from facilitator.followups.forms import CloseForm, ContactForm, MissedYouForm, SnoozeForm, page_forms
from facilitator.forms import flash_refusal, show_errors, validate_all
from facilitator.models import FollowUp
from facilitator.templating import format_date


def _follow_up(follow_up_id: int, *, act: bool) -> FollowUp:
    follow_up = get_or_404(FollowUp, follow_up_id)
    if not (queries.can_act if act else queries.can_read)(g.user, follow_up):
        abort(404)
    return follow_up


def _to_page(follow_up: FollowUp) -> Any:
    return redirect(url_for("followups.follow_up", follow_up_id=follow_up.id))


@bp.route("/follow-ups")
@allow(READERS)
def follow_ups() -> Any:
    rows = queries.follow_ups_for(g.user)
    now = now_utc()
    quiet = {w.follow_up.id: w.days(now) for w in waiting(rows)}
    return render_template("followups/list.html", follow_ups=rows, quiet=quiet)


def _page(follow_up: FollowUp, status: int = 200, **forms: Any) -> Any:
    shown = {**page_forms(), **forms}
    shown["contact"].offer(follow_up)
    now = now_utc()
    quiet = {w.follow_up.id: w.days(now) for w in waiting([follow_up])}
    return render_template("followups/follow_up.html", follow_up=follow_up, forms=shown,
                           can_act=queries.can_act(g.user, follow_up), quiet_days=quiet.get(follow_up.id),
                           next_session=queries.next_session(follow_up, now)), status


@bp.route("/follow-ups/<int:follow_up_id>")
@allow(READERS)
def follow_up(follow_up_id: int) -> Any:
    return _page(_follow_up(follow_up_id, act=False))


@bp.route("/follow-ups/<int:follow_up_id>/contacts", methods=["POST"])
@allow(MANAGERS)
def log_contact(follow_up_id: int) -> Any:
    follow_up = _follow_up(follow_up_id, act=True)
    form = ContactForm(prefix="contact").offer(follow_up)
    if not validate_all(form, lambda: services.contact_problems(follow_up, form.data_typed())):
        return _page(follow_up, 422, contact=form)
    try:
        services.log_contact(follow_up, form.data_typed(), by=g.user)
    except DomainError as exc:
        show_errors(form, exc)
        return _page(follow_up, exc.status, contact=form)
    flash(f"The contact with {follow_up.home.name} is logged.", "success")
    return _to_page(follow_up)


@bp.route("/follow-ups/<int:follow_up_id>/snooze", methods=["POST"])
@allow(MANAGERS)
def snooze(follow_up_id: int) -> Any:
    follow_up = _follow_up(follow_up_id, act=True)
    form = SnoozeForm(prefix="snooze")
    changes = {"state": "snoozed", "snooze_until": form.snooze_until.data}
    return _change(follow_up, form, changes, "snooze", "Snoozed until {}.")


@bp.route("/follow-ups/<int:follow_up_id>/close", methods=["POST"])
@allow(MANAGERS)
def close(follow_up_id: int) -> Any:
    follow_up = _follow_up(follow_up_id, act=True)
    form = CloseForm(prefix="close")
    return _change(follow_up, form, form.changes(), "close", "The follow-up is closed.")


def _change(follow_up: FollowUp, form: SnoozeForm | CloseForm, changes: dict[str, Any], name: str,
            done: str) -> Any:
    if not validate_all(form, lambda: services.change_problems(follow_up, changes)):
        return _page(follow_up, 422, **{name: form})
    try:
        services.change_state(follow_up, changes, by=g.user)
    except DomainError as exc:
        show_errors(form, exc)
        return _page(follow_up, exc.status, **{name: form})
    flash(done.format(format_date(follow_up.snooze_until)), "success")
    return _to_page(follow_up)


@bp.route("/follow-ups/<int:follow_up_id>/missed-you")
@allow(MANAGERS)
def missed_you_preview(follow_up_id: int) -> Any:
    follow_up = _follow_up(follow_up_id, act=True)
    try:
        shown = missed_you.preview(follow_up, now_utc())
    except DomainError as exc:
        flash_refusal(exc)
        return _to_page(follow_up)
    return render_template("followups/missed_you.html", follow_up=follow_up, preview=shown,
                           form=MissedYouForm())


@bp.route("/follow-ups/<int:follow_up_id>/missed-you", methods=["POST"])
@allow(MANAGERS)
def send_missed_you(follow_up_id: int) -> Any:
    follow_up = _follow_up(follow_up_id, act=True)
    if not MissedYouForm().validate_on_submit():
        flash("The form had expired: nothing was sent. Check the preview and send it again.", "error")
        return redirect(url_for("followups.missed_you_preview", follow_up_id=follow_up.id))
    try:
        _, people = missed_you.send(follow_up, now_utc())
    except DomainError as exc:
        flash_refusal(exc)
        return _to_page(follow_up)
    flash(f"“We missed you” is on its way to {len(people)} contact{'s' if len(people) != 1 else ''} "
          f"at {follow_up.home.name}.", "success")
    return _to_page(follow_up)
