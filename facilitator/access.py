"""Deny-by-default access control.

Every view declares who may reach it with ``@allow(...)``. A view without a declaration is
refused for everyone (and the role-matrix test fails), so a forgotten check cannot open a hole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, redirect, request, url_for
from sqlalchemy import select

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


def session_or_404(session_id: int) -> MeetingSession:
    """A session the signed-in user may see; another group's answers 404, as if it did not exist."""
    session = get_or_404(MeetingSession, session_id)
    if not can_see_group(g.user, session.group):
        abort(404)
    return session


def facilitates_home(user: User, home_id: int) -> bool:
    """Whether ``user`` facilitates a group that ``home_id`` belongs to, or once belonged to."""
    return db.session.scalar(select(
        select(Membership.id).join(group_facilitators, group_facilitators.c.group_id == Membership.group_id)
        .where(Membership.home_id == home_id, group_facilitators.c.user_id == user.id).exists())) or False


def can_read_home(user: User | None, home_id: int) -> bool:
    """Who reads a home's journey (assessments, action plan, its printed packs): leads and admins
    every home, facilitators the homes of their groups, now or before; supervisors none."""
    if user is None or not user.is_active:
        return False
    if user.role in (Role.LEAD, Role.ADMIN):
        return True
    return user.role == Role.FACILITATOR and facilitates_home(user, home_id)


def readable_home_or_404(home_id: int) -> CareHome:
    """A home whose journey the signed-in user may read; another's answers 404, as if it did not exist."""
    home = get_or_404(CareHome, home_id)
    if not can_read_home(g.user, home.id):
        abort(404)
    return home


def get_or_404(model: type, ident: Any) -> Any:
    """Load a row by primary key or answer 404 (an id no column can hold is simply not found)."""
    if isinstance(ident, int) and not can_be_row_id(ident):
        abort(404)
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    return obj
