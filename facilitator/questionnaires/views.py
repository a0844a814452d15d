"""A group's questionnaires: its rounds, sending a pre or post round, and each round's results.

Leads, admins and the group's facilitators read them (another group's facilitator gets 404);
the group's facilitators and admins send rounds. Results are the aggregates of
``questionnaire.results``, small numbers suppressed; the CSV holds the same and nothing more.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, g, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facilitator.access import MANAGERS, READERS, allow, get_or_404
from facilitator.clock import local_today
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.forms import show_errors, validate_all
from facilitator.models import Group, QuestionnaireRound, can_manage_group, can_see_group
from facilitator.questionnaires import catalogue, results, rounds
from facilitator.questionnaires.blueprint import bp
from facilitator.questionnaires.forms import RoundForm
from facilitator.questionnaires.template_data import scale_labels


def _group(group_id: int) -> Group:
    group = get_or_404(Group, group_id)
    if not can_see_group(g.user, group):
        abort(404)
    return group


def _rounds_of(group: Group) -> list[tuple[QuestionnaireRound, int, int]]:
    found = list(db.session.scalars(
        select(QuestionnaireRound).options(joinedload(QuestionnaireRound.questionnaire))
        .where(QuestionnaireRound.group_id == group.id)
        .order_by(QuestionnaireRound.send_on.desc(), QuestionnaireRound.id.desc())))
    counts = results.counts_by_round(found)
    return [(r, *counts[r.id]) for r in found]


def _group_page(group: Group, form: RoundForm, status: int = 200) -> Any:
    return render_template(
        "questionnaires/group.html", group=group, form=form, rounds=_rounds_of(group),
        change=results.group_change(group.id), can_send=can_manage_group(g.user, group),
        suppressed=results.suppressed_words()), status


@bp.route("/groups/<int:group_id>/questionnaires")
@allow(READERS)
def group_questionnaires(group_id: int) -> Any:
    return _group_page(_group(group_id), RoundForm().offer(catalogue.offered("pre_post")))


@bp.route("/groups/<int:group_id>/questionnaire-rounds", methods=["POST"])
@allow(MANAGERS)
def send_round(group_id: int) -> Any:
    group = _group(group_id)
    if not can_manage_group(g.user, group):
        abort(403)
    form = RoundForm().offer(catalogue.offered("pre_post"))
    if not validate_all(form, lambda: rounds.round_problems(form.data_typed(), local_today())):
        return _group_page(group, form, 422)
    try:
        sent = rounds.create_round(group, form.data_typed(), g.user)
    except DomainError as exc:
        show_errors(form, exc)
        return _group_page(group, form, exc.status)
    invited = results.invited_count(sent)
    flash(f"The {sent.kind} questionnaire is sent to {invited} contact{'s' if invited != 1 else ''}."
          if sent.sent_at else f"The {sent.kind} questionnaire will be sent on {sent.send_on:%-d %B %Y}.",
          "success")
    return redirect(url_for("questionnaires.group_questionnaires", group_id=group.id), code=303)


def _round(round_id: int) -> tuple[QuestionnaireRound, Group]:
    round_ = get_or_404(QuestionnaireRound, round_id)
    return round_, _group(round_.group_id)


@bp.route("/questionnaire-rounds/<int:round_id>")
@allow(READERS)
def round_results(round_id: int) -> Any:
    round_, group = _round(round_id)
    return render_template("questionnaires/results.html", round=round_, group=group,
                           results=results.round_results(round_), suppressed=results.suppressed_words(),
                           labels=scale_labels(round_.questionnaire.purpose))


@bp.route("/questionnaire-rounds/<int:round_id>.csv")
@allow(READERS)
def round_results_csv(round_id: int) -> Any:
    round_, _ = _round(round_id)
    response = Response(results.results_csv(results.round_results(round_)),
                        content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="questionnaire-round-{round_.id}.csv"'
    return response
