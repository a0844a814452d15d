"""A home's action plan over the API (issue 16).

Admins and the facilitators of a group the home belongs to, now or before, write; leads read
every home's; another facilitator's home answers 404, as if it did not exist. The rules (and the
422 naming each field) are the service's, ``facilitator.journey.actions``.
"""

from __future__ import annotations

from datetime import date

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, can_manage_home, can_read_home, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId, patch_fields
from facilitator.clock import local_today
from facilitator.journey import action_queries, actions
from facilitator.models import CareHome, HomeAction


class HomeActionOut(Output):
    id: int
    home_id: int
    title: str
    domain_key: str | None
    owner_contact_id: int | None
    owner_role: str | None
    due_on: date | None
    protected_hours: float | None
    note: str
    status: str
    overdue: bool

    @classmethod
    def of(cls, action: HomeAction, today: date) -> HomeActionOut:
        return cls(id=action.id, home_id=action.home_id, title=action.title, domain_key=action.domain_key,
                   owner_contact_id=action.owner_contact_id, owner_role=action.owner_role,
                   due_on=action.due_on, protected_hours=action.protected_hours, note=action.note,
                   status=action.status, overdue=action.is_overdue(today))


class HomeActionList(Output):
    actions: list[HomeActionOut]


class HomeActionCreate(Input):
    title: str = Field(max_length=1000)
    domain_key: str | None = Field(default=None, max_length=200,
                                   description="A domain key of the framework (GET /frameworks)")
    owner_contact_id: RowId | None = Field(default=None, description="A contact of this home")
    owner_role: str | None = Field(default=None, max_length=50,
                                   description="Or a contact role at the home (manager, team_leader, …)")
    due_on: date | None = Field(default=None, description="Between 2000-01-01 and 2100-12-31")
    protected_hours: float | None = Field(default=None, description="Protected time it needs, 0 to 1000")
    note: str = Field(default="", max_length=10000)


class HomeActionUpdate(Input):
    title: str | None = Field(default=None, max_length=1000)
    domain_key: str | None = Field(default=None, max_length=200)
    owner_contact_id: RowId | None = None
    owner_role: str | None = Field(default=None, max_length=50)
    due_on: date | None = None
    protected_hours: float | None = None
    note: str | None = Field(default=None, max_length=10000)
    status: str | None = Field(default=None, description="not_started, in_progress, done or dropped")


NULLABLE = frozenset({"domain_key", "owner_contact_id", "owner_role", "due_on", "protected_hours"})


def _home(home_id: int, *, write: bool) -> CareHome:
    home = get_or_404(CareHome, home_id)
    allowed = can_manage_home if write else can_read_home
    if not allowed(g.user, home.id):
        abort(404)
    return home


@operation("/homes/<int:home_id>/actions", "GET", roles=READERS, summary="A home's action plan",
           response=HomeActionList)
def list_actions(home_id: int) -> HomeActionList:
    home, today = _home(home_id, write=False), local_today()
    return HomeActionList(actions=[HomeActionOut.of(a, today) for a in action_queries.home_plan(home.id)])


@operation("/homes/<int:home_id>/actions", "POST", roles=MANAGERS, summary="Add an action to a home's plan",
           body=HomeActionCreate, response=HomeActionOut, status=201)
def create_action(home_id: int, body: HomeActionCreate) -> HomeActionOut:
    home = _home(home_id, write=True)
    action = actions.create_action(home, actions.ActionData(**body.model_dump()), by=g.user)
    return HomeActionOut.of(action, local_today())


@operation("/actions/<int:action_id>", "PATCH", roles=MANAGERS, summary="Change an action or its status",
           body=HomeActionUpdate, response=HomeActionOut)
def update_action(action_id: int, body: HomeActionUpdate) -> HomeActionOut:
    action = get_or_404(HomeAction, action_id)
    _home(action.home_id, write=True)
    changes = patch_fields(body, nullable=NULLABLE)
    return HomeActionOut.of(actions.update_action(action, changes, by=g.user), local_today())
