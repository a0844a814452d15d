from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.access import ADMIN, READERS, get_or_404
from facilitator.admin import services
from facilitator.api.core import operation
from facilitator.api.schemas import (
    GroupCreate,
    GroupList,
    GroupOut,
    GroupUpdate,
    MemberAdd,
    MemberRemoveQuery,
    MembershipOut,
    patch_fields,
)
from facilitator.clock import local_today
from facilitator.extensions import db
from facilitator.models import Group, Membership


@operation("/groups", "GET", roles=READERS, summary="List groups", response=GroupList)
def list_groups() -> GroupList:
    groups = db.session.scalars(
        select(Group)
        .options(selectinload(Group.facilitators),
                 selectinload(Group.memberships).selectinload(Membership.home))
        .order_by(Group.name))
    return GroupList(groups=[GroupOut.of(g) for g in groups])


@operation("/groups", "POST", roles=ADMIN, summary="Create a group", body=GroupCreate,
           response=GroupOut, status=201)
def create_group(body: GroupCreate) -> GroupOut:
    group = services.create_group(body.name, body.provider.value, body.default_duration_minutes,
                                  body.facilitator_ids)
    return GroupOut.of(group)


@operation("/groups/<int:group_id>", "GET", roles=READERS, summary="One group with its members",
           response=GroupOut)
def get_group(group_id: int) -> GroupOut:
    return GroupOut.of(get_or_404(Group, group_id))


@operation("/groups/<int:group_id>", "PATCH", roles=ADMIN, summary="Change a group",
           body=GroupUpdate, response=GroupOut)
def update_group(group_id: int, body: GroupUpdate) -> GroupOut:
    group = get_or_404(Group, group_id)
    changes: dict[str, Any] = patch_fields(body)
    if "provider" in changes:
        changes["provider"] = changes["provider"].value
    services.update_group(group, **changes)
    return GroupOut.of(group)


@operation("/groups/<int:group_id>/members", "POST", roles=ADMIN, body=MemberAdd,
           response=MembershipOut, status=201, summary="Add a home to a group from a date")
def add_member(group_id: int, body: MemberAdd) -> MembershipOut:
    group = get_or_404(Group, group_id)
    membership = services.add_member(group, body.home_id, body.joined_on)
    return MembershipOut.of(membership)


@operation("/groups/<int:group_id>/members/<int:home_id>", "DELETE", roles=ADMIN,
           query=MemberRemoveQuery, response=MembershipOut,
           summary="Remove a home from a group from a date (today if not given); history is kept")
def remove_member(group_id: int, home_id: int, query: MemberRemoveQuery) -> MembershipOut:
    group = get_or_404(Group, group_id)
    membership = services.end_membership(group, home_id, query.left_on or local_today())
    return MembershipOut.of(membership)
