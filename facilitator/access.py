"""Deny-by-default access control.

Every view declares who may reach it with ``@allow(...)``. A view without a declaration is
refused for everyone (and the role-matrix test fails), so a forgotten check cannot open a hole.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from sqlalchemy import select

from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.models import (
    CareHome,
    MeetingSession,
    Membership,
    Role,
    User,
    can_see_group,
    group_facilitators,
)
from facilitator.models.base import can_be_row_id

# Who may reach a view: every role set the app's views declare, defined here once.
PUBLIC = "public"
STAFF = frozenset(r.value for r in Role)
ADMIN = frozenset({Role.ADMIN.value})
LEAD_OR_ADMIN = frozenset({Role.ADMIN.value, Role.LEAD.value})
READERS = frozenset({Role.ADMIN.value, Role.LEAD.value, Role.FACILITATOR.value})
# Book and change sessions, take registers, resend invitations: of their own groups (admins: any).
MANAGERS = frozenset({Role.ADMIN.value, Role.FACILITATOR.value})
FACILITATOR = frozenset({Role.FACILITATOR.value})
SUPERVISOR = frozenset({Role.SUPERVISOR.value})
NOTE_READERS = frozenset({Role.FACILITATOR.value, Role.SUPERVISOR.value})
LOG_VIEWERS = frozenset({Role.SUPERVISOR.value, Role.LEAD.value, Role.ADMIN.value})

F = TypeVar("F", bound=Callable[..., Any])


def allow(*roles: str | frozenset[str]) -> Callable[[F], F]:
    """Declare the roles (or ``PUBLIC``) that may call a view."""
    allowed: set[str] = set()
    for role in roles:
        allowed |= {role} if isinstance(role, str) else set(role)

    def decorate(view: F) -> F:
        view.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
        return view

    return decorate


def allowed_roles(app: Flask, endpoint: str) -> frozenset[str] | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "allowed_roles", None)


def is_api_request() -> bool:
    return request.path.startswith("/api/") or request.path.startswith("/webhooks/")


def enforce_access() -> Any:
    """``before_request`` hook: runs after the user is loaded, before the view."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    roles = allowed_roles(current_app, request.endpoint)
    if roles is None:
        current_app.logger.error("Refused %s: the view declares no roles", request.endpoint)
        abort(403)
    if PUBLIC in roles:
        return _let_through()
    user = g.get("user")
    if user is None:
        if is_api_request():
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if user.role not in roles:
        abort(403)
    return _let_through()


CALLER_CHECKS = "facilitator.caller_checks"
CALLER_CHECKED = "caller_checked"


def _let_through() -> None:
    g.setdefault(CALLER_CHECKED, True)


def add_caller_checks(app: Flask, *checks: Callable[[], Any]) -> None:
    """Register the ``before_request`` hooks that find who is calling and whether they may, in
    order, ending with :func:`enforce_access`; kept so they can be run again (below)."""
    for check in (*checks, enforce_access):
        app.before_request(check)
    app.extensions[CALLER_CHECKS] = (*checks, enforce_access)


def caller_checked_again() -> bool:
    """Whether the caller may go on, running the caller checks again if a failure (a database
    that did not answer) cut them short; False when a check answers instead (a redirect, a 401)."""
    if g.get(CALLER_CHECKED):
        return True
    return all(check() is None for check in current_app.extensions.get(CALLER_CHECKS, ()))


def facilitated_group_ids(user: User) -> frozenset[int]:
    return frozenset(db.session.scalars(
        select(group_facilitators.c.group_id).where(group_facilitators.c.user_id == user.id)))


def visible_group_ids(user: User) -> frozenset[int] | None:
    """The groups whose sessions ``user`` sees (:func:`can_see_group`); None for every group."""
    if user.role in (Role.LEAD, Role.ADMIN):
        return None
    return facilitated_group_ids(user) if user.role == Role.FACILITATOR else frozenset()


def can_manage_home(user: User | None, home_id: int, on: date | None = None) -> bool:
    """Who writes a home's own records: admins every home, facilitators the homes of a group
    they facilitate. Without ``on`` (its journey: action plan, assessments) a home the group has
    ever had counts, now or before; with ``on`` (its partner contacts, agreements, readiness)
    only one the group has not left by that date, or is due to join."""
    if user is None or not user.is_active or user.role not in MANAGERS:
        return False
    if user.role == Role.ADMIN:
        return True
    query = (select(Membership.id)
             .join(group_facilitators, group_facilitators.c.group_id == Membership.group_id)
             .where(group_facilitators.c.user_id == user.id, Membership.home_id == home_id))
    if on is not None:
        query = query.where(Membership.left_on.is_(None) | (Membership.left_on > on))
    return db.session.scalar(query.limit(1)) is not None


def can_read_home(user: User | None, home_id: int) -> bool:
    """Who reads a home's journey: leads every home, and whoever may write it."""
    if user is not None and user.is_active and user.role == Role.LEAD:
        return True
    return can_manage_home(user, home_id)


def managed_home(home_id: int) -> CareHome:
    """A home the signed-in user writes the present records of (its agreements, partner contacts,
    readiness: ``can_manage_home`` on today's date); 404 if there is none, 403 if not theirs."""
    home = get_or_404(CareHome, home_id)
    if not can_manage_home(g.user, home.id, local_today()):
        abort(403)
    return home


def managed_record(model: type, ident: int) -> Any:
    """A row of one home (an agreement, say) whose home the signed-in user manages today."""
    record = get_or_404(model, ident)
    managed_home(record.home_id)
    return record


def session_or_404(session_id: int) -> MeetingSession:
    """A session the signed-in user may see; another group's answers 404, as if it did not exist."""
    session = get_or_404(MeetingSession, session_id)
    if not can_see_group(g.user, session.group):
        abort(404)
    return session


def get_or_404(model: type, ident: Any) -> Any:
    """Load a row by primary key or answer 404 (an id no column can hold is simply not found)."""
    if isinstance(ident, int) and not can_be_row_id(ident):
        abort(404)
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj
