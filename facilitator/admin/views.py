"""Screens for users, homes with their contacts, and groups with their memberships."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.absence import pauses
from facilitator.access import (
    ADMIN,
    LEAD_OR_ADMIN,
    READERS,
    allow,
    can_manage_home,
    can_read_home,
    get_or_404,
)
from facilitator.admin import facilitation, queries, services
from facilitator.admin.forms import (
    AddMemberForm,
    ContactForm,
    EndMembershipForm,
    GroupForm,
    HandoverForm,
    HomeForm,
    UserForm,
    handover_form,
)
from facilitator.attendance.pause_forms import PauseForm
from facilitator.auth import mfa as auth_mfa
from facilitator.auth import queries as auth_queries
from facilitator.auth import reset as auth_reset
from facilitator.auth.forms import ResetTwoFactorForm
from facilitator.booking import queries as booking_queries
from facilitator.clock import local_today
from facilitator.conditions import partner_queries, readiness
from facilitator.conditions import queries as agreement_queries
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.followups import queries as followup_queries
from facilitator.forms import add_field_errors, choices, flash_refusal, show_errors, validate_all
from facilitator.indicators import queries as indicator_queries
from facilitator.indicators.forms import LEVEL_LABELS
from facilitator.indicators.services import last_month, month_key
from facilitator.models import (
    CareHome,
    Contact,
    Group,
    Membership,
    Role,
    User,
    can_manage_group,
    can_see_group,
)
from facilitator.supervision.http import request_origin

bp = Blueprint("admin", __name__)
bp.add_app_template_filter(facilitation.facilitator_label, "facilitator_label")


def _invalid(template: str, form: Any, exc: DomainError | None = None, **context: Any) -> Any:
    if exc is not None:
        show_errors(form, exc)
    return render_template(template, form=form, **context), 422


def _supervisor_choices() -> list[tuple[Any, str]]:
    supervisors = db.session.scalars(
        select(User).where(User.role == Role.SUPERVISOR, User.is_active).order_by(User.name))
    return choices([("", "None")] + [(u.id, u.name) for u in supervisors])


@bp.route("/users")
@allow(LEAD_OR_ADMIN)
def users() -> Any:
    listing = queries.user_table(request.args)
    return render_template("admin/users.html", listing=listing,
                           signed_in=queries.last_sign_ins(listing.rows))


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_user(user_id: int | None = None) -> Any:
    user = get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.supervisor_id.choices = _supervisor_choices()
    if not validate_all(form, lambda: _user_problems(user, form)):
        status = 422 if request.method == "POST" else 200
        return render_template("admin/user_form.html", form=form, user=user), status
    handover = _handover_form(user, form) if user else None
    if handover is not None and not handover.was_shown():
        return _handover_page(user, form, handover, 200)
    try:
        _save_user(user, form, handover)
    except DomainError as exc:
        return _refused_user(user, form, handover, exc)
    flash(f"Saved {form.name.data}.", "success")
    return redirect(url_for("admin.users"))


HANDOVER_MISSING = "Choose who takes this group over, or tick “Deactivate anyway” below."


def _refused_user(user: User | None, form: UserForm, handover: HandoverForm | None, exc: DomainError) -> Any:
    """A refusal about handing groups over goes on the handover page (409: a group is left with
    nobody; 422: a successor who cannot facilitate), any other on the user form."""
    needed = isinstance(exc, facilitation.HandoverNeeded)
    if handover is None or not (needed or any(name.startswith("handover_") for name in exc.fields)):
        return _invalid("admin/user_form.html", form, exc, user=user)
    show_errors(handover, exc)
    if isinstance(exc, facilitation.HandoverNeeded):
        add_field_errors(handover, {facilitation.handover_field(grp): HANDOVER_MISSING for grp in exc.groups})
    return _handover_page(user, form, handover, 409 if needed else 422)


def _handover_form(user: User, form: UserForm) -> HandoverForm | None:
    """When the change ends the user's facilitating and leaves groups with nobody: the form
    asking who takes each over (its selects offer everyone else who may facilitate)."""
    if not facilitation.stops_facilitating(user, form.role.data, form.is_active.data):
        return None
    groups = facilitation.groups_left_without(user)
    people = [(u.id, u.name) for u in facilitation.facilitators() if u.id != user.id]
    return handover_form(groups, people) if groups else None


def _handover_page(user: User, form: UserForm, handover: HandoverForm, status: int) -> Any:
    return render_template("admin/user_handover.html", user=user, form=form, handover=handover,
                           today=local_today()), status


def _own_access_problem(user: User, form: UserForm) -> dict[str, str]:
    if user.id == g.user.id and (not form.is_active.data or form.role.data != Role.ADMIN):
        return {"role": "You cannot remove your own admin access."}
    return {}


def _user_problems(user: User | None, form: UserForm) -> dict[str, str]:
    """Everything wrong with the form's details, shown with the form's own problems at once."""
    problems = services.user_problems(form.role.data, form.supervisor_id.data,
                                      None if user else form.email.data)
    return {**problems, **(_own_access_problem(user, form) if user else {})}


def _save_user(user: User | None, form: UserForm, handover: HandoverForm | None = None) -> User:
    """A new user gets a welcome link by email to choose their password: an admin never sets one."""
    if user is None:
        user = services.create_user(form.email.data, form.name.data, form.role.data, None,
                                    form.supervisor_id.data, form.phone.data)
        auth_reset.send_account_link(user, actor=g.user, origin=request_origin())
        return user
    problems = _own_access_problem(user, form)
    if problems:
        raise DomainError(problems["role"], problems)
    return services.update_user(user, name=form.name.data, role=form.role.data,
                                is_active=form.is_active.data, supervisor_id=form.supervisor_id.data,
                                phone=form.phone.data,
                                handover=handover.successors() if handover else None,
                                force=bool(handover and handover.force.data))


@bp.route("/users/<int:user_id>/password-link", methods=["POST"])
@allow(ADMIN)
def send_password_link(user_id: int) -> Any:
    """For a user who cannot sign in: a link by email to choose a new password; signed out now."""
    user = get_or_404(User, user_id)
    if user.id == g.user.id:
        flash("Change your own password from your account page.", "error")
    elif ResetTwoFactorForm().validate_on_submit():
        try:
            auth_reset.send_account_link(user, actor=g.user, origin=request_origin())
        except DomainError as exc:
            flash_refusal(exc)
        else:
            flash(f"A link to choose a new password is on its way to {user.email}; "
                  f"{user.name} has been signed out everywhere.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/homes")
@allow(READERS)
def homes() -> Any:
    return render_template("admin/homes.html", listing=queries.home_table(request.args))


@bp.route("/homes/<int:home_id>")
@allow(READERS)
def home(home_id: int) -> Any:
    home = get_or_404(CareHome, home_id)
    memberships = db.session.scalars(
        select(Membership).where(Membership.home_id == home.id).order_by(Membership.joined_on))
    today = local_today()
    readable, manages = can_read_home(g.user, home.id), can_manage_home(g.user, home.id, today)
    return render_template("admin/home.html", home=home, memberships=list(memberships), can_print=readable,
                           indicator_trend=indicator_queries.last_year(home.id, today) if readable else [],
                           indicator_levels=LEVEL_LABELS,
                           last_month_key=month_key(last_month(today)),
                           partner_contacts=partner_queries.home_contacts(home.id),
                           can_record_contact=manages, can_manage=manages,
                           agreements=agreement_queries.home_agreements(home.id) if readable else [],
                           follow_ups=followup_queries.home_history(g.user, home.id), today=today,
                           pauses=pauses.home_pauses(home.id) if readable else [],
                           pause_form=PauseForm() if manages else None)


@bp.route("/homes/new", methods=["GET", "POST"])
@bp.route("/homes/<int:home_id>/edit", methods=["GET", "POST"])
@allow(ADMIN)
def edit_home(home_id: int | None = None) -> Any:
    home = get_or_404(CareHome, home_id) if home_id else None
    form = HomeForm(obj=home)
    if not validate_all(form, lambda: services.home_problems(form.name.data, form.beds.data,
                                                             form.local_authority.data)):
        status = 422 if request.method == "POST" else 200
        return render_template("admin/home_form.html", form=form, home=home), status
    fields = {k: form.data[k]
              for k in ("name", "region", "local_authority", "beds", "protected_time_agreed_on", "notes")}
    fields["region"], fields["notes"] = fields["region"] or "", fields["notes"] or ""
    try:
        home = services.update_home(home, **fields) if home else services.create_home(**fields)
    except DomainError as exc:
        return _invalid("admin/home_form.html", form, exc, home=home)
    flash(f"Saved {home.name}.", "success")
    return redirect(url_for("admin.home", home_id=home.id))


@bp.route("/homes/<int:home_id>/contacts/new", methods=["GET", "POST"])
@bp.route("/homes/<int:home_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_contact(home_id: int, contact_id: int | None = None) -> Any:
    home = get_or_404(CareHome, home_id)
    contact = get_or_404(Contact, contact_id) if contact_id else None
    if contact is not None and contact.home_id != home.id:
        return render_template("errors/error.html", status=404, message="No such contact."), 404
    form = ContactForm(obj=contact)
    if not validate_all(form, lambda: services.contact_problems(home, form.email.data, contact)):
        status = 422 if request.method == "POST" else 200
        return render_template("admin/contact_form.html", form=form, home=home, contact=contact), status
    data = services.ContactData(form.name.data, form.email.data, form.role.data, form.is_active.data)
    try:
        saved = services.save_contact(home, data, contact)
    except DomainError as exc:
        return _invalid("admin/contact_form.html", form, exc, home=home, contact=contact)
    flash(f"Saved {data.name}.", "success")
    if warning := services.address_warning(saved.email):
        flash(warning, "warning")
    return redirect(url_for("admin.home", home_id=home.id))


@bp.route("/groups")
@allow(READERS)
def groups() -> Any:
    rows = db.session.scalars(select(Group).options(selectinload(Group.facilitators),
                                                    selectinload(Group.memberships))
                              .order_by(Group.name))
    return render_template("admin/groups.html", groups=list(rows), today=local_today())


def _group_page(group: Group, add_form: AddMemberForm | None = None, status: int = 200,
                end_form: EndMembershipForm | None = None, end_home_id: int | None = None) -> Any:
    """The group page; ``end_form`` is a refused removal of ``end_home_id``, shown in its row."""
    add_form = add_form or AddMemberForm(joined_on=local_today())
    current_ids = {m.home_id for m in group.memberships if m.left_on is None}
    homes = db.session.scalars(select(CareHome).order_by(CareHome.name))
    add_form.home_id.choices = choices([("", "Choose a home")] + [
        (h.id, h.name) for h in homes if h.id not in current_ids])
    checklist = readiness.group_readiness(group) if can_see_group(g.user, group) else None
    return render_template("admin/group.html", group=group, add_form=add_form,
                           end_form=EndMembershipForm(left_on=local_today()),
                           failed_end_form=end_form, failed_end_home_id=end_home_id,
                           sessions_panel=booking_queries.panel(group, g.user),
                           readiness=checklist, can_record_readiness=can_manage_group(g.user, group)), status


@bp.route("/groups/<int:group_id>")
@allow(READERS)
def group(group_id: int) -> Any:
    return _group_page(get_or_404(Group, group_id))


@bp.route("/groups/new", methods=["GET", "POST"])
@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@allow(ADMIN)
def edit_group(group_id: int | None = None) -> Any:
    group = get_or_404(Group, group_id) if group_id else None
    form = GroupForm(obj=group)
    form.facilitator_ids.choices = choices(facilitation.choices_for(group))
    if request.method == "GET" and group is not None:
        form.facilitator_ids.data = [u.id for u in group.facilitators]
    if not validate_all(form, lambda: services.group_problems(form.name.data, form.facilitator_ids.data or (),
                                                              group)):
        status = 422 if request.method == "POST" else 200
        return render_template("admin/group_form.html", form=form, group=group), status
    fields = {k: form.data[k] for k in ("name", "provider", "default_duration_minutes", "facilitator_ids")}
    try:
        group = services.update_group(group, **fields) if group else services.create_group(**fields)
    except DomainError as exc:
        return _invalid("admin/group_form.html", form, exc, group=group)
    flash(f"Saved {group.name}.", "success")
    return redirect(url_for("admin.group", group_id=group.id))


@bp.route("/groups/<int:group_id>/members", methods=["POST"])
@allow(ADMIN)
def add_member(group_id: int) -> Any:
    group = get_or_404(Group, group_id)
    form = AddMemberForm()
    form.home_id.choices = []
    if not form.validate_on_submit():
        return _group_page(group, form, 422)
    try:
        membership = services.add_member(group, form.home_id.data, form.joined_on.data)
    except DomainError as exc:
        show_errors(form, exc)
        return _group_page(group, form, 422)
    flash(f"{membership.home.name} joins from {membership.joined_on:%-d %B %Y}.", "success")
    return redirect(url_for("admin.group", group_id=group.id))


@bp.route("/groups/<int:group_id>/members/<int:home_id>/end", methods=["POST"])
@allow(ADMIN)
def end_membership(group_id: int, home_id: int) -> Any:
    group = get_or_404(Group, group_id)
    form = EndMembershipForm()
    if form.validate_on_submit():
        try:
            membership = services.end_membership(group, home_id, form.left_on.data)
        except DomainError as exc:
            show_errors(form, exc)
        else:
            flash(f"{membership.home.name} leaves on {membership.left_on:%-d %B %Y}.", "success")
            return redirect(url_for("admin.group", group_id=group.id))
    # A problem with the date is shown next to the date in the home's row, with the date as
    # entered; one that is not about the date (no longer a member) only in the message on top.
    flash(" ".join(form.form_errors) or "The home was not removed: check the date.", "error")
    return _group_page(group, status=422, end_form=form, end_home_id=home_id)


@bp.route("/users/<int:user_id>/sign-ins")
@allow(ADMIN)
def user_sign_ins(user_id: int) -> Any:
    user = get_or_404(User, user_id)
    return render_template("admin/user_sign_ins.html", user=user, sign_ins=auth_queries.sign_ins(user, 100),
                           sessions=auth_queries.open_sessions(user), labels=auth_queries.METHOD_LABELS)


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
@allow(ADMIN)
def reset_user_two_factor(user_id: int) -> Any:
    """For a user who lost their authenticator and recovery codes: they set it up again."""
    user = get_or_404(User, user_id)
    if user.id == g.user.id:
        flash("Change your own two-step sign-in from your account page.", "error")
    elif ResetTwoFactorForm().validate_on_submit():
        auth_mfa.reset_mfa(user, actor=g.user, origin=request_origin())
        flash(f"Two-step sign-in reset for {user.name}; they have been signed out everywhere.", "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))
