"""The admin's questionnaire templates: every version, a copy, and an edit that never changes a
questionnaire a round has used (``catalogue.edit_questionnaire`` makes the next version)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from facilitator.access import ADMIN, allow, get_or_404
from facilitator.errors import DomainError
from facilitator.forms import show_errors, validate_all
from facilitator.models import Questionnaire
from facilitator.questionnaires import catalogue
from facilitator.questionnaires.blueprint import bp
from facilitator.questionnaires.forms import TemplateForm, question_rows, template_input


@bp.route("/admin/questionnaires")
@allow(ADMIN)
def templates() -> Any:
    return render_template("questionnaires/admin_list.html", versions=catalogue.every_version(),
                           used=catalogue.used_ids(), form=FlaskForm())


@bp.route("/admin/questionnaires/<int:questionnaire_id>/copy", methods=["POST"])
@allow(ADMIN)
def copy_template(questionnaire_id: int) -> Any:
    form = FlaskForm()
    if not form.validate_on_submit():
        flash("The page had expired: please try again.", "error")
        return redirect(url_for("questionnaires.templates"), code=303)
    copy = catalogue.copy_questionnaire(get_or_404(Questionnaire, questionnaire_id), g.user)
    flash(f"“{copy.title}” is made: change it as you need.", "success")
    return redirect(url_for("questionnaires.edit_template", questionnaire_id=copy.id), code=303)


@bp.route("/admin/questionnaires/<int:questionnaire_id>/edit", methods=["GET", "POST"])
@allow(ADMIN)
def edit_template(questionnaire_id: int) -> Any:
    questionnaire = get_or_404(Questionnaire, questionnaire_id)
    form = TemplateForm(obj=questionnaire)
    rows = question_rows(questionnaire, request.form if form.is_submitted() else None)
    if not validate_all(form, lambda: catalogue.questionnaire_problems(template_input(form, rows))):
        return _edit_page(questionnaire, form, rows, 422 if form.is_submitted() else 200)
    try:
        saved = catalogue.edit_questionnaire(questionnaire, template_input(form, rows), g.user)
    except DomainError as exc:
        show_errors(form, exc)
        return _edit_page(questionnaire, form, rows, exc.status, exc.fields)
    flash(f"Saved as version {saved.version}: rounds already sent keep the questions they were sent with."
          if saved.id != questionnaire.id else "The questionnaire is saved.", "success")
    return redirect(url_for("questionnaires.templates"), code=303)


def _edit_page(questionnaire: Questionnaire, form: TemplateForm, rows: list[Any], status: int,
               problems: dict[str, str] | None = None) -> Any:
    if form.is_submitted() and problems is None:
        problems = catalogue.questionnaire_problems(template_input(form, rows))
    return render_template("questionnaires/edit.html", questionnaire=questionnaire, form=form, rows=rows,
                           problems=problems or {}, in_use=catalogue.in_use(questionnaire)), status
