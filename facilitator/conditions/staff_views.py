"""Staff screens of agreements and readiness (the API's twins): on the facilitator's view of a home,
draft an agreement, send it to the sponsor, record one signed on paper; on the group page, record a
home's visit, meeting with the manager and champion.

Admins and the facilitators of the home's groups write (``can_manage_home`` as the API asks;
readiness: ``can_manage_group``); the services hold every rule and show every problem at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from facilitator.access import MANAGERS, allow, get_or_404, managed_home, managed_record
from facilitator.clock import local_today
from facilitator.conditions import agreements, readiness
from facilitator.conditions.blueprint import bp
from facilitator.conditions.staff_forms import AgreementForm, PaperForm, ReadinessForm
from facilitator.errors import DomainError
from facilitator.forms import choices, flash_refusal, show_errors, validate_all
from facilitator.models import Agreement, CareHome, Group, can_manage_group


def _status(form: FlaskForm) -> int:
    """A refused post is 422 (nothing of it kept); the first showing 200."""
    return 422 if form.is_submitted() else 200


def _back_to(home_id: int) -> Any:
    return redirect(url_for("admin.home", home_id=home_id, _anchor="agreements-heading"))


def _preview(home: CareHome, data: agreements.AgreementData, hours_given: bool) -> str:
    """The template's wording for the figures so far (blanks for hours not entered yet)."""
    hours = {name: getattr(data, name) if hours_given else None for name in (
        "psl_hours_per_month", "implementation_hours_per_month", "task_hours_per_month")}
    review_on = data.review_on or agreements.review_date(data.starts_on)
    draft = Agreement(starts_on=data.starts_on, review_on=review_on, **hours)
    return agreements.default_text(home, draft)


def _sponsor_choices(home: CareHome) -> list[Any]:
    sponsors = [c for c in home.contacts if c.is_active and c.role in agreements.SPONSOR_ROLES]
    return choices([("", "Someone else: name and email below")]
                   + [(c.id, f"{c.name} ({c.role.replace('_', ' ')})") for c in sponsors])


@bp.route("/homes/<int:home_id>/agreements/new", methods=["GET", "POST"])
@allow(MANAGERS)
def new_agreement(home_id: int) -> Any:
    """A draft; its wording comes prefilled from the template and, left unchanged, is written with
    the figures entered."""
    home, today = managed_home(home_id), local_today()
    form = AgreementForm(starts_on=today)
    form.sponsor_contact_id.choices = _sponsor_choices(home)
    valid = validate_all(form, lambda: {**agreements.agreement_problems(form.agreement_data(today)),
                                        **agreements.sponsor_problems(home, form.agreement_data(today))})
    if not valid:
        _prefill(form, home, today)
        return render_template("conditions/agreement_form.html", form=form, home=home), _status(form)
    try:
        agreement = agreements.create_agreement(home, form.agreement_data(today), g.user)
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("conditions/agreement_form.html", form=form, home=home), 422
    flash(f"Drafted the agreement with {agreement.sponsor_name}: check it, then send it.", "success")
    return _back_to(home.id)


def _prefill(form: AgreementForm, home: CareHome, today: date) -> None:
    """On the first showing, and again while the wording is left as it was shown."""
    if form.is_submitted() and (form.text.data or "").strip() != (form.prefilled.data or "").strip():
        return
    data = form.agreement_data(today)
    given = all(getattr(form, name).data is not None for name in (
        "psl_hours_per_month", "implementation_hours_per_month", "task_hours_per_month"))
    if not agreements.agreement_problems(data):
        form.text.data = form.prefilled.data = _preview(home, data, given)


@bp.route("/agreements/<int:agreement_id>/send", methods=["POST"])
@allow(MANAGERS)
def send_agreement(agreement_id: int) -> Any:
    """A button on the home's page (CSRF is checked for every form post, app-wide)."""
    agreement = managed_record(Agreement, agreement_id)
    try:
        agreements.send_agreement(agreement)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(f"Sent the agreement to {agreement.sponsor_name} at {agreement.sponsor_email}.", "success")
    return _back_to(agreement.home_id)


@bp.route("/agreements/<int:agreement_id>/paper", methods=["GET", "POST"])
@allow(MANAGERS)
def record_paper(agreement_id: int) -> Any:
    agreement = managed_record(Agreement, agreement_id)
    form = PaperForm(signed_by=agreement.sponsor_name)
    context = {"form": form, "agreement": agreement, "home": agreement.home}
    def problems() -> dict[str, str]:
        return agreements.paper_problems(form.signed_on.data, form.signed_by.data or "")

    if not validate_all(form, problems):
        return render_template("conditions/paper_form.html", **context), _status(form)
    try:
        agreements.record_paper(agreement, form.signed_on.data, form.signed_by.data or "")
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("conditions/paper_form.html", **context), 422
    flash(f"Recorded the agreement as signed by {agreement.accepted_by}.", "success")
    return _back_to(agreement.home_id)


@bp.route("/groups/<int:group_id>/members/<int:home_id>/readiness", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_readiness(group_id: int, home_id: int) -> Any:
    group = get_or_404(Group, group_id)
    if not can_manage_group(g.user, group):
        abort(403)
    home = get_or_404(CareHome, home_id)
    try:
        row = readiness.current_record(group, home.id)
    except DomainError:
        abort(404)  # not a current member of this group
    form = ReadinessForm(obj=row) if request.method == "GET" else ReadinessForm()
    form.champion_contact_id.choices = choices([("", "Nobody named yet")] + [
        (c.id, c.name) for c in home.contacts if c.is_active or (row and c.id == row.champion_contact_id)])
    context = {"form": form, "group": group, "home": home}
    if not validate_all(form, lambda: readiness.readiness_problems(home.id, form.changes())):
        return render_template("conditions/readiness_form.html", **context), _status(form)
    try:
        readiness.record_readiness(group, home.id, form.changes())
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("conditions/readiness_form.html", **context), 422
    flash(f"Saved {home.name}'s readiness.", "success")
    return redirect(url_for("admin.group", group_id=group.id, _anchor="readiness-heading"))
