"""The home's self-assessment through a contact's page link: ``/h/<token>/assessment``.

Made for a shared iPad: one domain per screen, four large choices, an evidence box, and "Save and
next" / "Back" buttons that are plain form posts (it saves as it goes, with no JavaScript). No
sign-in: the link names the contact, so every change records who made it. The link reaches only
its own home's rounds: no round id is ever taken from the URL. A GET only shows; starting a round,
saving a domain and finishing are POSTs, each with the form's CSRF token like the link's other forms.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for

from facilitator.access import PUBLIC, allow
from facilitator.clock import local_today
from facilitator.errors import DomainError
from facilitator.join.views import _contact_token, bp
from facilitator.journey import assessments as rounds
from facilitator.journey.framework_data import PRINCIPLES
from facilitator.models import Assessment, Contact


def _open_round(contact: Contact) -> Assessment:
    assessment = rounds.open_round(contact.home_id)
    if assessment is None:
        abort(404)
    return assessment


def _previous(contact: Contact, assessment: Assessment | None) -> Assessment | None:
    """The home's last round before ``assessment`` (or its last round), for "last time" hints."""
    earlier = [a for a in rounds.rounds_of(contact.home_id)
               if assessment is None or a.round < assessment.round]
    return earlier[-1] if earlier else None


def may_start(home_id: int) -> bool:
    """A contact may start a round when none is open and the next is due (round 1 at any time)."""
    if rounds.open_round(home_id) is not None:
        return False
    due = rounds.next_round_due(home_id)
    return not rounds.rounds_of(home_id) or (due is not None and due <= local_today())


@bp.route("/h/<token>/assessment")
@allow(PUBLIC)
def assessment(token: str) -> Any:
    contact = _contact_token(token).contact
    current = rounds.open_round(contact.home_id)
    return render_template(
        "join/assessment.html", token=token, contact=contact, home=contact.home, current=current,
        previous=_previous(contact, current), due=rounds.next_round_due(contact.home_id),
        may_start=may_start(contact.home_id), today=local_today())


@bp.route("/h/<token>/assessment/start", methods=["POST"])
@allow(PUBLIC)
def assessment_start(token: str) -> Any:
    contact = _contact_token(token).contact
    if may_start(contact.home_id):
        rounds.start_round(contact.home, rounds.Actor(contact=contact))
        return redirect(url_for("join.assessment_step", token=token, step=1), code=303)
    return redirect(url_for("join.assessment", token=token), code=303)


@bp.route("/h/<token>/assessment/<int:step>", methods=["GET", "POST"])
@allow(PUBLIC)
def assessment_step(token: str, step: int) -> Any:
    """One domain; a POST saves it, then goes on, back, or to the overview (``go``)."""
    contact = _contact_token(token).contact
    current = _open_round(contact)
    domains = current.framework.domains
    if not 1 <= step <= len(domains):
        abort(404)
    domain, problems = domains[step - 1], {}
    if request.method == "POST":
        try:
            rounds.change_round(current, rounds.RoundChanges(ratings={domain.key: _posted()}),
                                rounds.Actor(contact=contact))
            return redirect(_after(token, step, len(domains)), code=303)
        except DomainError as exc:
            problems = {"rating": next(iter(exc.fields.values()), exc.message)}
    return _step_page(token, contact, current, step, problems)


def _posted() -> rounds.RatingInput:
    raw = request.form.get("rating", "").strip()
    rating = int(raw) if raw.isdigit() and len(raw) < 3 else (None if not raw else 0)
    return rounds.RatingInput(rating, request.form.get("evidence", "")[:10_000])


def _after(token: str, step: int, count: int) -> str:
    go = request.form.get("go", "next")
    if go == "back" and step > 1:
        return url_for("join.assessment_step", token=token, step=step - 1)
    if go == "next" and step < count:
        return url_for("join.assessment_step", token=token, step=step + 1)
    return url_for("join.assessment", token=token, saved=1)


def _step_page(token: str, contact: Contact, current: Assessment, step: int, problems: dict[str, str]) -> Any:
    domain = current.framework.domains[step - 1]
    saved, before = current.rating_for(domain.key), _previous(contact, current)
    posted = request.form if problems else None
    kept = str(saved.rating) if saved and saved.rating else ""
    return render_template(
        "join/assessment_step.html", token=token, contact=contact, home=contact.home, current=current,
        domain=domain, step=step, count=len(current.framework.domains), saved=saved,
        chosen=str(posted.get("rating", "")) if posted else kept,
        evidence=posted.get("evidence", "") if posted else (saved.evidence if saved else ""),
        before=before.rating_for(domain.key) if before else None, before_round=before,
        principles=PRINCIPLES, problems=problems), 422 if problems else 200


@bp.route("/h/<token>/assessment/finish", methods=["POST"])
@allow(PUBLIC)
def assessment_finish(token: str) -> Any:
    contact = _contact_token(token).contact
    rounds.finish_round(_open_round(contact), rounds.Actor(contact=contact))
    return redirect(url_for("join.assessment", token=token, finished=1), code=303)
