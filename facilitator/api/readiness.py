"""The readiness checklist: ``GET /api/v1/groups/<id>/readiness`` and ``PATCH
/api/v1/groups/<id>/members/<home_id>/readiness``. Leads and admins read every group's, facilitators
their own; admins and the group's facilitators write."""

from __future__ import annotations

from datetime import date

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId, present_fields
from facilitator.conditions import readiness
from facilitator.models import Group, can_manage_group, can_see_group


class ItemOut(Output):
    done: bool
    on: date | None = None
    detail: str | None = None


class ItemsOut(Output):
    visited: ItemOut
    met_manager: ItemOut
    sponsor: ItemOut
    agreement: ItemOut
    champion: ItemOut
    device_tested: ItemOut
    first_assessment: ItemOut


class HomeReadinessOut(Output):
    home_id: int
    home_name: str
    ready: bool
    items: ItemsOut

    @classmethod
    def of(cls, home: readiness.HomeReadiness) -> HomeReadinessOut:
        items = {k: ItemOut(done=i.done, on=i.on, detail=i.detail) for k, i in home.items.items()}
        return cls(home_id=home.home_id, home_name=home.home_name, ready=home.ready, items=ItemsOut(**items))


class ReadinessOut(Output):
    homes: list[HomeReadinessOut]


class ReadinessUpdate(Input):
    visited_on: date | None = None
    visited_by: str | None = Field(default=None, max_length=200)
    met_manager_on: date | None = None
    device_tested_on: date | None = Field(default=None, description="A test seen by the facilitator "
                                          "(the home's own 'Test this iPad' counts first)")
    champion_contact_id: RowId | None = None


@operation("/groups/<int:group_id>/readiness", "GET", roles=READERS,
           summary="Each home's readiness checklist in the group", response=ReadinessOut)
def group_readiness(group_id: int) -> ReadinessOut:
    group = get_or_404(Group, group_id)
    if not can_see_group(g.user, group):
        abort(404)
    return ReadinessOut(homes=[HomeReadinessOut.of(h) for h in readiness.group_readiness(group)])


@operation("/groups/<int:group_id>/members/<int:home_id>/readiness", "PATCH", roles=MANAGERS,
           summary="Record a home's visit, meeting with the manager or champion", body=ReadinessUpdate,
           response=HomeReadinessOut)
def update_readiness(group_id: int, home_id: int, body: ReadinessUpdate) -> HomeReadinessOut:
    group = get_or_404(Group, group_id)
    if not can_manage_group(g.user, group):
        abort(403)
    readiness.record_readiness(group, home_id, present_fields(body))
    [home] = [h for h in readiness.group_readiness(group) if h.home_id == home_id]
    return HomeReadinessOut.of(home)
