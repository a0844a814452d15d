"""Writes for users, homes, contacts, groups and memberships. Flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from facilitator.admin import facilitation
from facilitator.auth import api_tokens
from facilitator.auth import services as auth_services
from facilitator.auth.passwords import hash_password, password_problem
from facilitator.conditions.agreements import record_agreed_on
from facilitator.conditions.areas import COUNCIL_AREAS, unknown_area_message
from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.invites import hooks as invite_hooks
from facilitator.models import CareHome, Contact, ContactRole, Group, Membership, Provider, Role, User
from facilitator.phones import clean_phone
from integrations.addresses import needs_smtputf8
from integrations.providers.registry import DEFAULT_PROVIDER

UNSET: Any = object()


@dataclass
class ContactData:
    name: str
    email: str
    role: str = ContactRole.OTHER.value
    is_active: bool = True


def _check_choice(value: str, choices: type, field: str, what: str) -> None:
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise DomainError(f"Unknown {what}.", {field: f"Choose one of: {', '.join(allowed)}."})


def _supervisor_problem(user_role: str, supervisor_id: int | None) -> tuple[str, str] | None:
    """(summary, field message) when ``supervisor_id`` cannot be this user's supervisor."""
    if supervisor_id is None:
        return None
    if user_role != Role.FACILITATOR:
        return "Only facilitators have a supervisor.", "Only facilitators have a supervisor."
    supervisor = db.session.get(User, supervisor_id)
    if supervisor is None or supervisor.role != Role.SUPERVISOR or not supervisor.is_active:
        return "Choose an active supervisor.", "This is not an active user with the supervisor role."
    return None


def _check_supervisor(user_role: str, supervisor_id: int | None) -> None:
    problem = _supervisor_problem(user_role, supervisor_id)
    if problem:
        raise DomainError(problem[0], {"supervisor_id": problem[1]})


def _email_taken(email: str) -> bool:
    return db.session.scalar(select(User.id).where(User.email == email)) is not None


def user_problems(role: str, supervisor_id: int | None, email: str | None = None) -> dict[str, str]:
    """Every problem of a user's details at once, by field (``email`` only for a new user);
    nothing is changed. The same rules ``create_user`` and ``update_user`` refuse with."""
    problems: dict[str, str] = {}
    if role not in {r.value for r in Role}:
        problems["role"] = f"Choose one of: {', '.join(r.value for r in Role)}."
    elif (supervisor := _supervisor_problem(role, supervisor_id)) is not None:
        problems["supervisor_id"] = supervisor[1]
    if email and _email_taken(auth_services.normalise_email(email)):
        problems["email"] = "A user with this email already exists."
    return problems


def create_user(email: str, name: str, role: str, password: str | None = None,
                supervisor_id: int | None = None, phone: str | None = None) -> User:
    email = auth_services.normalise_email(email)
    _check_choice(role, Role, "role", "role")
    if _email_taken(email):
        raise ConflictError("A user with this email already exists.",
                            {"email": "A user with this email already exists."})
    _check_supervisor(role, supervisor_id)
    user = User(email=email, name=name.strip(), role=role, supervisor_id=supervisor_id,
                phone=clean_phone(phone))
    if password:
        set_password(user, password)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise DomainError("Choose a different password.", {"password": problem})
    user.password_hash = hash_password(password)
    if user.id is not None:
        auth_services.end_all_sessions(user)


def update_user(user: User, *, name: str = UNSET, role: str = UNSET, is_active: bool = UNSET,
                supervisor_id: int | None = UNSET, phone: str | None = UNSET,
                handover: Mapping[int, int] | None = None, force: bool = False) -> User:
    """``handover`` and ``force``: for a facilitator who stops facilitating (deactivated or another
    role), who takes over each group they alone facilitate (see ``facilitation.release_groups``)."""
    if role is not UNSET:
        _check_choice(role, Role, "role", "role")
    if facilitation.stops_facilitating(user, None if role is UNSET else role,
                                       None if is_active is UNSET else is_active):
        facilitation.release_groups(user, handover or {}, force)
    if role is not UNSET:
        user.role = role
        if role != Role.FACILITATOR and supervisor_id is UNSET:
            user.supervisor_id = None
    if supervisor_id is not UNSET:
        _check_supervisor(user.role, supervisor_id)
        user.supervisor_id = supervisor_id
    if name is not UNSET:
        user.name = name.strip()
    if phone is not UNSET:
        user.phone = clean_phone(phone)
    if is_active is not UNSET and is_active != user.is_active:
        user.is_active = is_active
        if not is_active:
            # Tokens are revoked, not just refused while inactive: reactivating an account must
            # not bring back tokens that were handed out before (and may have leaked since).
            auth_services.end_all_sessions(user)
            api_tokens.revoke_api_tokens(user)
    db.session.flush()
    return user


def home_problems(name: str | None, beds: int | None, local_authority: str | None = None) -> dict[str, str]:
    """Every problem of a home's details at once, by field; nothing is changed."""
    problems: dict[str, str] = {}
    if not (name or "").strip():
        problems["name"] = "Enter the home's name."
    if beds is not None and beds < 0:
        problems["beds"] = "Enter 0 or more."
    if local_authority and local_authority not in COUNCIL_AREAS:
        problems["local_authority"] = unknown_area_message()
    return problems


def _validate_home(name: str, beds: int | None, local_authority: str | None = None) -> None:
    problems = home_problems(name, beds, local_authority)
    if problems:
        summary = {"name": "Enter the home's name.", "beds": "Beds cannot be negative.",
                   "local_authority": "Unknown council area."}
        raise DomainError(summary[next(iter(problems))], problems)


def create_home(name: str, region: str = "", beds: int | None = None,
                protected_time_agreed_on: date | None = None, notes: str = "",
                contacts: Iterable[ContactData] = (), local_authority: str | None = None) -> CareHome:
    _validate_home(name, beds, local_authority)
    home = CareHome(name=name.strip(), region=region.strip(), beds=beds,
                    local_authority=local_authority or None, notes=notes)
    db.session.add(home)
    seen: set[str] = set()
    for index, data in enumerate(contacts):
        email = auth_services.normalise_email(data.email)
        if email in seen:
            raise DomainError("Each contact needs their own email.",
                              {f"contacts[{index}].email": "This email is listed twice."})
        seen.add(email)
        _check_choice(data.role, ContactRole, f"contacts[{index}].role", "contact role")
        home.contacts.append(Contact(name=data.name.strip(), email=email, role=data.role,
                                     is_active=data.is_active))
    db.session.flush()
    if protected_time_agreed_on is not None:
        record_agreed_on(home, protected_time_agreed_on)
    return home


def update_home(home: CareHome, **changes: Any) -> CareHome:
    allowed = {"name", "region", "local_authority", "beds", "protected_time_agreed_on", "notes"}
    unknown = set(changes) - allowed
    if unknown:
        raise DomainError("Unknown fields.", {f: "This field cannot be changed." for f in unknown})
    if "local_authority" in changes:
        changes["local_authority"] = changes["local_authority"] or None
    _validate_home(changes.get("name", home.name), changes.get("beds", home.beds),
                   changes.get("local_authority"))
    if "protected_time_agreed_on" in changes:  # read from the home's agreements (issue 17)
        record_agreed_on(home, changes.pop("protected_time_agreed_on"))
    for key, value in changes.items():
        setattr(home, key, value.strip() if isinstance(value, str) and key != "notes" else value)
    db.session.flush()
    return home


def _contact_clash(home: CareHome, email: str, contact: Contact | None) -> bool:
    clash = db.session.scalar(
        select(Contact.id).where(Contact.home_id == home.id, Contact.email == email)
    )
    return clash is not None and (contact is None or clash != contact.id)


def contact_problems(home: CareHome, email: str | None, contact: Contact | None) -> dict[str, str]:
    """The problems of a contact's details the form cannot see by itself; nothing is changed."""
    if email and _contact_clash(home, auth_services.normalise_email(email), contact):
        return {"email": "This home already has a contact with that email."}
    return {}


def save_contact(home: CareHome, data: ContactData, contact: Contact | None = None) -> Contact:
    email = auth_services.normalise_email(data.email)
    _check_choice(data.role, ContactRole, "role", "contact role")
    if _contact_clash(home, email, contact):
        raise ConflictError("This home already has a contact with that email.",
                            {"email": "This home already has a contact with that email."})
    if contact is None:
        contact = Contact(home=home)
        db.session.add(contact)
    contact.name, contact.email = data.name.strip(), email
    contact.role, contact.is_active = data.role, data.is_active
    db.session.flush()
    invite_hooks.contact_changed(contact.id)
    return contact


def address_warning(email: str) -> str | None:
    """What to tell the admin about an address that can be saved but not always mailed."""
    try:
        utf8 = needs_smtputf8(email)
    except ValueError:
        return None
    if not utf8:
        return None
    return (f"{email.strip()} has non-ASCII characters before the @. Invitations reach it only if the "
            "mail server supports SMTPUTF8; otherwise they fail at once and the session's invitations "
            "page says so. Ask the home for another address if you can.")


def _facilitators_problem(ids: Iterable[int], group: Group | None) -> str | None:
    """Each chosen facilitator may facilitate, or is one the group already has (kept, though
    deactivated, so saving the group's form never silently drops them)."""
    ids = list(dict.fromkeys(ids))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    kept = {u.id for u in group.facilitators} if group else set()
    wrong = [i for i in ids if i not in users or (users[i].role != Role.FACILITATOR and i not in kept)]
    if wrong:
        return f"Not facilitators: {', '.join(map(str, wrong))}."
    inactive = [i for i in ids
                if i not in wrong and i not in kept and not facilitation.may_facilitate(users[i])]
    if inactive:
        return f"Deactivated, cannot facilitate: {', '.join(users[i].name for i in inactive)}."
    return None


def _facilitators(ids: Iterable[int], group: Group | None) -> list[User]:
    ids = list(dict.fromkeys(ids))
    problem = _facilitators_problem(ids, group)
    if problem:
        raise DomainError("Every facilitator must be an active user with the facilitator role.",
                          {"facilitator_ids": problem})
    return list(db.session.scalars(select(User).where(User.id.in_(ids)))) if ids else []


def _group_name_taken(name: str, group: Group | None) -> bool:
    clash = db.session.scalar(select(Group.id).where(Group.name == name.strip()))
    return clash is not None and (group is None or clash != group.id)


def group_problems(name: str | None, facilitator_ids: Iterable[int], group: Group | None) -> dict[str, str]:
    """The problems of a group's details the form cannot see by itself (a name another group has,
    a user who may not facilitate), all at once; nothing is changed."""
    problems: dict[str, str] = {}
    if name and _group_name_taken(name, group):
        problems["name"] = "A group with this name exists."
    if facilitator := _facilitators_problem(facilitator_ids or (), group):
        problems["facilitator_ids"] = facilitator
    return problems


def _validate_group(name: str, provider: str, duration: int, group: Group | None) -> None:
    if not name.strip():
        raise DomainError("Enter the group's name.", {"name": "Enter the group's name."})
    _check_choice(provider, Provider, "provider", "provider")
    if not 15 <= duration <= 480:
        raise DomainError("Choose a duration between 15 and 480 minutes.",
                          {"default_duration_minutes": "Between 15 and 480 minutes."})
    if _group_name_taken(name, group):
        raise ConflictError("A group with this name exists.", {"name": "A group with this name exists."})


def create_group(name: str, provider: str = DEFAULT_PROVIDER, default_duration_minutes: int = 90,
                 facilitator_ids: Iterable[int] = ()) -> Group:
    _validate_group(name, provider, default_duration_minutes, None)
    group = Group(name=name.strip(), provider=provider,
                  default_duration_minutes=default_duration_minutes,
                  facilitators=_facilitators(facilitator_ids, None))
    db.session.add(group)
    db.session.flush()
    return group


def update_group(group: Group, *, name: str = UNSET, provider: str = UNSET,
                 default_duration_minutes: int = UNSET, facilitator_ids: Iterable[int] = UNSET) -> Group:
    _validate_group(
        group.name if name is UNSET else name,
        group.provider if provider is UNSET else provider,
        group.default_duration_minutes if default_duration_minutes is UNSET else default_duration_minutes,
        group,
    )
    if name is not UNSET:
        group.name = name.strip()
    if provider is not UNSET:
        group.provider = provider
    if default_duration_minutes is not UNSET:
        group.default_duration_minutes = default_duration_minutes
    if facilitator_ids is not UNSET:
        group.facilitators = _facilitators(facilitator_ids, group)
    db.session.flush()
    return group


def open_membership(group: Group, home_id: int) -> Membership | None:
    return next((m for m in group.memberships if m.home_id == home_id and m.left_on is None), None)


def add_member(group: Group, home_id: int, joined_on: date) -> Membership:
    if db.session.get(CareHome, home_id) is None:
        raise DomainError("Choose a home that exists.", {"home_id": "No home has this id."})
    if open_membership(group, home_id) is not None:
        raise ConflictError("This home is already a member of the group.",
                            {"home_id": "Already a member; remove it first to change the date."})
    last_left = max((m.left_on for m in group.memberships if m.home_id == home_id and m.left_on),
                    default=None)
    if last_left is not None and joined_on < last_left:
        raise DomainError("A home cannot rejoin before it last left.",
                          {"joined_on": f"Choose {last_left.isoformat()} or later."})
    membership = Membership(group=group, home_id=home_id, joined_on=joined_on)
    db.session.add(membership)
    db.session.flush()
    invite_hooks.membership_changed(group, home_id)
    return membership


def end_membership(group: Group, home_id: int, left_on: date) -> Membership:
    membership = open_membership(group, home_id)
    if membership is None:
        raise DomainError("This home is not a current member of the group.",
                          {"home_id": "Not a current member."})
    if left_on < membership.joined_on:
        raise DomainError("A home cannot leave before it joined.",
                          {"left_on": f"Choose {membership.joined_on.isoformat()} or later."})
    membership.left_on = left_on
    db.session.flush()
    invite_hooks.membership_changed(group, home_id)
    return membership
