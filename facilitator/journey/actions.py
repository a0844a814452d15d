"""The rules of a home's action plan: what an action may hold, and its writes (flush, never commit).

Every write checks all of its fields at once (``action_problems``) and names each problem by the
API's field name, so a form shows each beside its field and the API answers 422 naming it. The
domain keys come from :func:`known_domain_keys` alone, so that when a published framework is
stored (the self-assessment's part of issue 16) only that function changes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import select

from facilitator.clock import local_today, now_utc
from facilitator.errors import FIELDS_INVALID, DomainError, NotFoundError
from facilitator.extensions import db
from facilitator.journey.framework_data import DEFAULT_FRAMEWORK
from facilitator.models import ActionStatus, CareHome, Contact, ContactRole, HomeAction, User

EARLIEST_DUE = date(2000, 1, 1)
LATEST_DUE = date(2100, 12, 31)
MAX_HOURS = 1000
MAX_NOTE = 2000
ROLE_VALUES = frozenset(r.value for r in ContactRole)
STATUS_VALUES = frozenset(s.value for s in ActionStatus)


def known_domain_keys() -> tuple[str, ...]:
    """The domain keys an action may name: those of the framework homes assess against."""
    return DEFAULT_FRAMEWORK.domain_keys()


def domain_titles() -> dict[str, str]:
    """Domain key → its title, for the pages and emails that show an action's domain."""
    return {d.key: d.title for d in DEFAULT_FRAMEWORK.domains if d.key in known_domain_keys()}


@dataclass(frozen=True)
class ActionData:
    """An action's fields as typed or sent (the API's names)."""

    title: str = ""
    domain_key: str | None = None
    owner_contact_id: int | None = None
    owner_role: str | None = None
    due_on: date | None = None
    protected_hours: float | None = None
    note: str = ""
    status: str = ActionStatus.NOT_STARTED.value

    @classmethod
    def of(cls, action: HomeAction) -> ActionData:
        return cls(**{f.name: getattr(action, f.name) for f in fields(cls)})


def prefilled(domain_key: str | None) -> ActionData:
    """A new action "turning a gap into an action": the domain chosen, titled after it."""
    title = domain_titles().get(domain_key or "")
    if title is None:
        return ActionData()
    return ActionData(title=f"Next step for {title.split(' (')[0].lower()}", domain_key=domain_key)


def action_problems(home: CareHome, data: ActionData) -> dict[str, str]:
    """Every problem with ``data`` for an action of ``home``, by field name (empty when none)."""
    problems: dict[str, str] = {}
    title = (data.title or "").strip()
    if not title:
        problems["title"] = "Enter what the home will do."
    elif len(title) > 200:
        problems["title"] = "Keep the title to 200 characters."
    if data.domain_key and data.domain_key not in known_domain_keys():
        problems["domain_key"] = f"{data.domain_key!r} is not a domain of the framework."
    problems.update(_owner_problems(home, data))
    if data.due_on is not None and not EARLIEST_DUE <= data.due_on <= LATEST_DUE:
        problems["due_on"] = "Enter a due date between 2000 and 2100."
    if data.protected_hours is not None and not 0 <= data.protected_hours <= MAX_HOURS:
        problems["protected_hours"] = f"Enter 0 to {MAX_HOURS} hours."
    if len(data.note or "") > MAX_NOTE:
        problems["note"] = f"Keep the note to {MAX_NOTE} characters."
    if data.status not in STATUS_VALUES:
        problems["status"] = "Choose one of: " + ", ".join(s.value for s in ActionStatus) + "."
    return problems


def _owner_problems(home: CareHome, data: ActionData) -> dict[str, str]:
    if data.owner_contact_id is not None and data.owner_role:
        return {"owner_role": "Choose a contact or a role as the owner, not both."}
    if data.owner_role and data.owner_role not in ROLE_VALUES:
        return {"owner_role": "Choose one of: " + ", ".join(sorted(ROLE_VALUES)) + "."}
    if data.owner_contact_id is not None:
        contact = db.session.get(Contact, data.owner_contact_id)
        if contact is None or contact.home_id != home.id:
            return {"owner_contact_id": f"The owner must be a contact of {home.name}."}
    return {}


def _checked(home: CareHome, data: ActionData) -> ActionData:
    problems = action_problems(home, data)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    return replace(data, title=data.title.strip(), domain_key=data.domain_key or None,
                   owner_role=data.owner_role or None, note=(data.note or "").strip())


def _stamp(action: HomeAction, user: User | None, contact: Contact | None) -> None:
    action.updated_at = now_utc()
    action.updated_by_user_id = user.id if user else None
    action.updated_by_contact_id = contact.id if contact else None


def _apply(action: HomeAction, data: ActionData) -> None:
    was_done = action.status == ActionStatus.DONE
    for f in fields(ActionData):
        setattr(action, f.name, getattr(data, f.name))
    if action.status == ActionStatus.DONE and not was_done:
        action.done_on = local_today()
    elif action.status != ActionStatus.DONE:
        action.done_on = None


def create_action(home: CareHome, data: ActionData, *, by: User | None = None,
                  contact: Contact | None = None) -> HomeAction:
    """Add an action to ``home``'s plan; every problem at once as a ``DomainError``."""
    action = HomeAction(home_id=home.id, created_at=now_utc())
    _apply(action, _checked(home, data))
    _stamp(action, by, contact)
    db.session.add(action)
    db.session.flush()
    return action


def update_action(action: HomeAction, changes: dict[str, Any], *, by: User | None = None,
                  contact: Contact | None = None) -> HomeAction:
    """Change the named fields of ``action`` (the others stay as they are)."""
    data = replace(ActionData.of(action), **changes)
    _apply(action, _checked(action.home, data))
    _stamp(action, by, contact)
    db.session.flush()
    return action


def mark_done_by_contact(action_id: int, contact: Contact) -> HomeAction:
    """The home ticks one of its own actions done through a contact's link; another home's
    action is not found, whatever its id."""
    action = db.session.scalar(select(HomeAction).where(
        HomeAction.id == action_id, HomeAction.home_id == contact.home_id))
    if action is None:
        raise NotFoundError("No such action for your home.")
    if action.status == ActionStatus.DONE:
        return action
    return update_action(action, {"status": ActionStatus.DONE.value}, contact=contact)
