"""Screens of the partner directory (everyone who reads homes; admins change it) and of a home's
partner contacts (admins and the facilitators of the home's groups record them)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from facilitator.access import ADMIN, MANAGERS, READERS, allow, get_or_404, managed_home
from facilitator.clock import local_today
from facilitator.conditions import partner_import, partner_queries, partners
from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.conditions.blueprint import bp
from facilitator.conditions.partner_forms import ImportForm, PartnerContactForm, PartnerForm
from facilitator.errors import DomainError
from facilitator.forms import choices, show_errors, validate_all
from facilitator.models import CareHome, Partner


@bp.route("/partners")
@allow(READERS)
def directory() -> Any:
    """Filtered by ``local_authority`` and ``specialism``; an unknown value filters nothing."""
    area, wanted = request.args.get("local_authority"), request.args.get("specialism")
    area = area if area in COUNCIL_AREAS else None
    specialism = wanted if wanted in partners.SPECIALISM_KEYS else None
    return render_template("conditions/partners.html", partners=partner_queries.directory(area, specialism),
                           area=area, chosen_specialism=specialism)


@bp.route("/partners/new", methods=["GET", "POST"])
@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@allow(ADMIN)
def edit_partner(partner_id: int | None = None) -> Any:
    partner = get_or_404(Partner, partner_id) if partner_id else None
    form = PartnerForm(obj=partner)
    if not validate_all(form, lambda: partners.partner_problems(form.partner_data(), partner)):
        status = 422 if request.method == "POST" else 200
        return render_template("conditions/partner_form.html", form=form, partner=partner), status
    try:
        saved = partners.save_partner(form.partner_data(), partner)
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("conditions/partner_form.html", form=form, partner=partner), 422
    flash(f"Saved {saved.name}.", "success")
    return redirect(url_for("conditions.directory"))


@bp.route("/partners/import", methods=["GET", "POST"])
@allow(ADMIN)
def import_partners() -> Any:
    """A file with any problem imports nothing (422 rolls the request back) and lists them all."""
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("conditions/import.html", form=form), 422 if request.method == "POST" else 200
    try:
        result = partner_import.import_partners(form.file.data.read())
    except DomainError as exc:
        show_errors(form, exc, renames={"body": "file"})
        return render_template("conditions/import.html", form=form), 422
    if result.errors:
        return render_template("conditions/import.html", form=form, errors=result.errors), 422
    flash(f"Imported the file: {result.created} partners added, {result.updated} updated.", "success")
    return redirect(url_for("conditions.directory"))


@bp.route("/homes/<int:home_id>/partner-contacts/new", methods=["GET", "POST"])
@allow(MANAGERS)
def new_partner_contact(home_id: int) -> Any:
    home = managed_home(home_id)
    form = PartnerContactForm(contacted_on=local_today())
    form.partner_id.choices = _partner_choices(home)
    if not validate_all(form, lambda: partners.contact_problems(form.contact_data())):
        status = 422 if request.method == "POST" else 200
        return render_template("conditions/contact_form.html", form=form, home=home), status
    try:
        partners.record_partner_contact(g.user, home, form.contact_data())
    except DomainError as exc:
        show_errors(form, exc)
        return render_template("conditions/contact_form.html", form=form, home=home), 422
    flash("Recorded the contact.", "success")
    return redirect(url_for("admin.home", home_id=home.id))


def _partner_choices(home: CareHome) -> list[Any]:
    """The partners covering the home's area first, then the rest of the directory."""
    near = partner_queries.covering(home.local_authority)
    near_ids = {p.id for p in near}
    rest = [p for p in partner_queries.directory() if p.id not in near_ids]
    note = " (not covering this home's area)" if home.local_authority else ""
    return choices([("", "Choose a partner")] + [(p.id, p.name) for p in near]
                   + [(p.id, p.name + note) for p in rest])
