"""Staff screens of a home's pauses (issue 18, the API's twins): on the home's page, pause it for
a period and end a pause today.

Admins and the facilitators of the home's groups write (``managed_home``, as the API asks); the
service, ``attendance.pauses``, holds every rule and names every problem at once.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, url_for

from facilitator.absence import pauses
from facilitator.access import MANAGERS, allow, managed_home, managed_record
from facilitator.attendance.blueprint import bp
from facilitator.attendance.pause_forms import RENAMES, PauseForm
from facilitator.clock import local_today, now_utc
from facilitator.errors import DomainError
from facilitator.forms import flash_refusal, show_errors, validate_all
from facilitator.models.engagement import HomePause


def _back_to(home_id: int) -> Any:
    return redirect(url_for("admin.home", home_id=home_id, _anchor="pauses-heading"))


@bp.route("/homes/<int:home_id>/pauses/new", methods=["GET", "POST"])
@allow(MANAGERS)
def new_pause(home_id: int) -> Any:
    """The form is also on the home's page; a refusal is shown here, every problem at once."""
    home = managed_home(home_id)
    form = PauseForm()
    if not validate_all(form, lambda: pauses.pause_problems(home.id, form.pause_input()), RENAMES):
        status = 422 if form.is_submitted() else 200
        return render_template("attendance/pause_form.html", form=form, home=home), status
    try:
        pause = pauses.add_pause(home.id, form.pause_input(), g.user, now_utc())
    except DomainError as exc:
        show_errors(form, exc, RENAMES)
        return render_template("attendance/pause_form.html", form=form, home=home), 422
    flash(f"Paused {home.name} from {pause.starts_on:%-d %B %Y} to {pause.ends_on:%-d %B %Y}.", "success")
    return _back_to(home.id)


@bp.route("/pauses/<int:pause_id>/end", methods=["POST"])
@allow(MANAGERS)
def end_pause(pause_id: int) -> Any:
    """A button on the home's page (CSRF is checked for every form post, app-wide)."""
    pause = managed_record(HomePause, pause_id)
    home_id = pause.home_id
    try:
        ended = pauses.end_pause(pause, local_today(), now_utc())
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash("Removed the pause: it had not started." if ended is None
              else f"The pause ends today, {ended.ends_on:%-d %B %Y}.", "success")
    return _back_to(home_id)
