"""Staff pages of the self-assessment: a home's rounds side by side, the paper entry form, and the
progress grids (homes × domains) of a group and of every home."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select

from facilitator.access import LEAD_OR_ADMIN, MANAGERS, READERS, allow, get_or_404
from facilitator.clock import local_today
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.forms import flash_refusal, show_errors, validate_all
from facilitator.journey import assessments as rounds
from facilitator.journey.access import can_write_journey, journey_home_or_404
from facilitator.journey.assessment_forms import RoundForm, renames, round_form
from facilitator.journey.blueprint import bp
from facilitator.journey.frameworks import current_framework
from facilitator.journey.progress import home_progress, progress_grid
from facilitator.listing import Listing, paginate
from facilitator.models import Assessment, CareHome, Group, Membership, can_see_group


@bp.route("/homes/<int:home_id>/assessments")
@allow(READERS)
def home_assessments(home_id: int) -> Any:
    """The home's rounds, and first against latest domain by domain (gaps can become actions)."""
    home = journey_home_or_404(home_id)
    taken = rounds.rounds_of(home.id)
    return render_template(
        "journey/assessments.html", home=home, rounds=taken, progress=home_progress(taken),
        titles={d.key: d.title for a in taken for d in a.framework.domains},
        due=rounds.next_round_due(home.id), can_write=can_write_journey(g.user, home.id),
        start_form=FlaskForm(), open_round=rounds.open_round(home.id),
        history=rounds.home_history(home.id), took_part=rounds.participants(home.id))


@bp.route("/homes/<int:home_id>/assessments", methods=["POST"])
@allow(MANAGERS)
def start_paper_round(home_id: int) -> Any:
    """Start a round to type a paper copy (or a visit's notes) into."""
    home = journey_home_or_404(home_id, write=True)
    if not FlaskForm().validate_on_submit():
        abort(400)
    try:
        started = rounds.start_round(home, rounds.Actor(user=g.user), source="paper")
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for("journey.home_assessments", home_id=home.id))
    return redirect(url_for("journey.edit_assessment", assessment_id=started.id))


@bp.route("/assessments/<int:assessment_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_assessment(assessment_id: int) -> Any:
    """Every domain of a round on one page: a paper copy typed in by the facilitator."""
    assessment = get_or_404(Assessment, assessment_id)
    home = journey_home_or_404(assessment.home_id, write=True)
    form = round_form(assessment)
    if validate_all(form, lambda: rounds.check_changes(assessment, _changes(form, assessment)),
                    renames(assessment)):
        try:
            rounds.change_round(assessment, _changes(form, assessment), rounds.Actor(user=g.user))
        except DomainError as exc:
            show_errors(form, exc, renames(assessment))
        else:
            flash(f"Round {assessment.round} of {home.name} saved.", "success")
            return redirect(url_for("journey.home_assessments", home_id=home.id))
    status = 422 if form.errors else 200
    return render_template("journey/assessment_form.html", home=home, assessment=assessment,
                           form=form), status


def _changes(form: RoundForm, assessment: Assessment) -> rounds.RoundChanges:
    ratings = {d.key: rounds.RatingInput(form[f"rating_{d.key}"].data, form[f"evidence_{d.key}"].data or "")
               for d in assessment.framework.domains}
    return rounds.RoundChanges(ratings=ratings, source=form.source.data, started_on=form.started_on.data,
                               set_completed=True, completed_on=form.completed_on.data)


@bp.route("/groups/<int:group_id>/progress")
@allow(READERS)
def group_progress(group_id: int) -> Any:
    group = get_or_404(Group, group_id)
    if not can_see_group(g.user, group):
        abort(404)
    homes = list(db.session.scalars(
        select(CareHome).join(Membership, Membership.home_id == CareHome.id)
        .where(Membership.group_id == group.id, Membership.is_member_on(local_today()))
        .order_by(CareHome.name)))
    return _grid_page(f"Progress of {group.name}", homes, group=group)


@bp.route("/progress")
@allow(LEAD_OR_ADMIN)
def all_progress() -> Any:
    """Every home's latest rating per domain, searched by name or region and a page of homes at a
    time; the same few statements for any number of homes."""
    listing = paginate(select(CareHome), request.args, search=[CareHome.name, CareHome.region],
                       sorts={"name": CareHome.name, "region": CareHome.region}, default_sort="name",
                       tiebreak=CareHome.id)
    return _grid_page("Progress of every home", listing.rows, listing=listing)


def _grid_page(title: str, homes: list[CareHome], group: Group | None = None,
               listing: Listing | None = None) -> Any:
    framework = current_framework()
    return render_template("journey/progress_grid.html", title=title, group=group, framework=framework,
                           rows=progress_grid(homes, framework), listing=listing)
