"""Staff pages of a home's action plan: the plan, add (also "turn this gap into an action", with
``?domain_key=``), edit, and a quick status change. Leads read every plan; admins and the
facilitators of a group the home belongs to (now or before) change it; any other facilitator
gets a 404, as for another group's session."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for

from facilitator.access import MANAGERS, READERS, allow, can_manage_home, can_read_home, get_or_404
from facilitator.clock import local_today
from facilitator.errors import DomainError
from facilitator.forms import show_errors, validate_all
from facilitator.journey import action_queries, actions
from facilitator.journey.blueprint import bp
from facilitator.journey.forms import OWNER_RENAMES, ActionForm, StatusForm, status_form
from facilitator.models import ActionStatus, CareHome, HomeAction


def _home(home_id: int, *, write: bool) -> CareHome:
    home = get_or_404(CareHome, home_id)
    if not (can_manage_home if write else can_read_home)(g.user, home.id):
        abort(404)
    return home


def _action(action_id: int) -> HomeAction:
    action = get_or_404(HomeAction, action_id)
    _home(action.home_id, write=True)
    return action


def _to_plan(home_id: int) -> Any:
    return redirect(url_for("journey.home_actions", home_id=home_id))


@bp.route("/homes/<int:home_id>/actions")
@allow(READERS)
def home_actions(home_id: int) -> Any:
    home = _home(home_id, write=False)
    plan = action_queries.home_plan(home.id)
    return render_template("journey/actions.html", home=home, plan=plan, today=local_today(),
                           domains=actions.domain_titles(), can_write=can_manage_home(g.user, home.id),
                           status_forms={a.id: status_form(a) for a in plan})


def _form_page(form: ActionForm, home: CareHome, action: HomeAction | None,
               exc: DomainError | None = None) -> Any:
    if exc is not None:
        show_errors(form, exc, OWNER_RENAMES)
    status = 422 if request.method == "POST" else 200
    return render_template("journey/action_form.html", form=form, home=home, action=action), status


@bp.route("/homes/<int:home_id>/actions/new", methods=["GET", "POST"])
@allow(MANAGERS)
def new_action(home_id: int) -> Any:
    home = _home(home_id, write=True)
    form = ActionForm().offer(home)
    if request.method == "GET":
        form.fill(actions.prefilled(request.args.get("domain_key")))
    if not validate_all(form, lambda: actions.action_problems(home, form.data_typed()), OWNER_RENAMES):
        return _form_page(form, home, None)
    try:
        action = actions.create_action(home, form.data_typed(), by=g.user)
    except DomainError as exc:
        return _form_page(form, home, None, exc)
    flash(f"Added “{action.title}” to {home.name}'s action plan.", "success")
    return _to_plan(home.id)


@bp.route("/actions/<int:action_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit_action(action_id: int) -> Any:
    action = _action(action_id)
    form = ActionForm().offer(action.home)
    if request.method == "GET":
        form.fill(actions.ActionData.of(action))
    if not validate_all(form, lambda: actions.action_problems(action.home, form.data_typed()), OWNER_RENAMES):
        return _form_page(form, action.home, action)
    try:
        actions.update_action(action, vars(form.data_typed()), by=g.user)
    except DomainError as exc:
        return _form_page(form, action.home, action, exc)
    flash(f"Saved “{action.title}”.", "success")
    return _to_plan(action.home_id)


@bp.route("/actions/<int:action_id>/status", methods=["POST"])
@allow(MANAGERS)
def set_action_status(action_id: int) -> Any:
    action = _action(action_id)
    form = StatusForm(prefix=f"a{action.id}")
    if not form.validate_on_submit():
        flash("Choose a status from the list.", "error")
        return _to_plan(action.home_id)
    actions.update_action(action, {"status": form.status.data}, by=g.user)
    flash(f"“{action.title}” is now {ActionStatus(action.status).label.lower()}.", "success")
    return _to_plan(action.home_id)
