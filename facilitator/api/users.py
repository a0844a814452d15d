from __future__ import annotations

from typing import Any

from flask import g
from sqlalchemy import select

from facilitator.access import ADMIN, LEAD_OR_ADMIN, get_or_404
from facilitator.admin import facilitation, services
from facilitator.api.core import operation
from facilitator.api.schemas import UserCreate, UserList, UserOut, UserUpdate, patch_fields
from facilitator.auth import reset as auth_reset
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import Role, User
from facilitator.supervision.http import request_origin


@operation("/users", "GET", roles=LEAD_OR_ADMIN, summary="List staff users", response=UserList)
def list_users() -> UserList:
    users = db.session.scalars(select(User).order_by(User.name))
    return UserList(users=[UserOut.of(u) for u in users])


@operation("/users", "POST", roles=ADMIN, summary="Create a staff user", body=UserCreate,
           response=UserOut, status=201)
def create_user(body: UserCreate) -> UserOut:
    """The new user gets a welcome link by email to choose their password; nobody else sets it."""
    if body.password is not None:
        raise DomainError("An admin does not set another person's password.",
                          {"password": "Leave it out: they get an email with a link to choose their own."})
    user = services.create_user(body.email, body.name, body.role.value, None, body.supervisor_id,
                                body.phone)
    auth_reset.send_account_link(user, actor=g.user, origin=request_origin())
    return UserOut.of(user)


@operation("/users/<int:user_id>/password-link", "POST", roles=ADMIN, status=204,
           summary="Email the user a link to choose a new password (they are signed out everywhere)")
def send_password_link(user_id: int) -> None:
    user = get_or_404(User, user_id)
    if user.id == g.user.id:
        raise DomainError("Change your own password from your account page.",
                          {"user_id": "This is you."})
    auth_reset.send_account_link(user, actor=g.user, origin=request_origin())


@operation("/users/<int:user_id>", "GET", roles=LEAD_OR_ADMIN, summary="One staff user",
           response=UserOut)
def get_user(user_id: int) -> UserOut:
    return UserOut.of(get_or_404(User, user_id))


@operation("/users/<int:user_id>", "PATCH", roles=ADMIN, body=UserUpdate, response=UserOut,
           summary="Change a user's name, role, active flag, supervisor or phone; deactivating the only "
                   "facilitator of a group answers 409 unless handover_to or force is given")
def update_user(user_id: int, body: UserUpdate) -> UserOut:
    user = get_or_404(User, user_id)
    changes: dict[str, Any] = patch_fields(body, nullable=frozenset({"supervisor_id", "phone"}))
    if "active" in changes:
        changes["is_active"] = changes.pop("active")
    if "role" in changes:
        changes["role"] = changes["role"].value
    if user.id == g.user.id and (changes.get("is_active") is False
                                 or changes.get("role", Role.ADMIN) != Role.ADMIN):
        raise DomainError("You cannot remove your own admin access.",
                          {"role": "You cannot remove your own admin access."})
    handover = _handover(user, changes)
    services.update_user(user, **changes, **handover)
    return UserOut.of(user)


def _handover(user: User, changes: dict[str, Any]) -> dict[str, Any]:
    """``handover_to`` and ``force`` as the service takes them: 409 naming the groups unless one
    is given when the change leaves groups with no facilitator (the service decides when)."""
    successor, force = changes.pop("handover_to", None), bool(changes.pop("force", False))
    if successor is None:
        return {"force": force}
    if problem := facilitation.successor_problem(user, successor):
        raise DomainError(problem, {"handover_to": problem})
    return {"handover": facilitation.everything_to(user, successor), "force": force}
