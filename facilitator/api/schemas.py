"""Request and response models of the API (pydantic), shared with the OpenAPI document."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from facilitator.conditions.areas import COUNCIL_AREAS
from facilitator.errors import DomainError
from facilitator.models import CareHome, Contact, ContactRole, Group, Membership, Provider, Role, User
from facilitator.models.base import MAX_ROW_ID
from integrations.providers.registry import DEFAULT_PROVIDER

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
RoleName = Annotated[str, Field(json_schema_extra={"enum": [r.value for r in Role]})]
# Row ids are PostgreSQL ``integer`` columns. A bigger number can name no row, and passing it to
# the database driver fails (SQLite: "int too large"), which answered 500 instead of 422.
RowId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Output):
    message: str
    fields: dict[str, str]


class Error(Output):
    error: ErrorBody


# Users -----------------------------------------------------------------------------------------

class UserOut(Output):
    id: int
    email: str
    name: str
    role: str
    active: bool
    supervisor_id: int | None
    phone: str | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(id=user.id, email=user.email, name=user.name, role=user.role,
                   active=user.is_active, supervisor_id=user.supervisor_id, phone=user.phone)


class UserList(Output):
    users: list[UserOut]


class UserCreate(Input):
    email: EmailStr = Field(max_length=254)
    name: Name
    role: Role
    password: str | None = Field(default=None, max_length=256,
                                 description="Not accepted: the user gets an email link to choose their own")
    supervisor_id: RowId | None = None
    phone: str | None = Field(default=None, max_length=40, description="Shown to care homes; optional")


class UserUpdate(Input):
    name: Name | None = None
    role: Role | None = None
    active: bool | None = None
    supervisor_id: RowId | None = None
    phone: str | None = Field(default=None, max_length=40, description="null or empty removes it")
    handover_to: RowId | None = Field(
        default=None, description="When the change ends a facilitator's facilitating: the active "
        "facilitator who takes over every group they alone facilitate")
    force: bool | None = Field(default=None, description="true: leave those groups with no facilitator")


# Homes -----------------------------------------------------------------------------------------

class ContactIn(Input):
    name: Name
    email: EmailStr = Field(max_length=254)
    role: ContactRole = ContactRole.OTHER
    active: bool = True


class ContactOut(Output):
    id: int
    name: str
    email: str
    role: str
    active: bool

    @classmethod
    def of(cls, contact: Contact) -> ContactOut:
        return cls(id=contact.id, name=contact.name, email=contact.email, role=contact.role,
                   active=contact.is_active)


LocalAuthority = Annotated[str | None, Field(max_length=60, description="A Scottish council area's key",
                                             json_schema_extra={"enum": [*COUNCIL_AREAS, None]})]


class HomeCreate(Input):
    name: Name
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    local_authority: LocalAuthority = None
    beds: int | None = Field(default=None, ge=0, le=10000)
    protected_time_agreed_on: date | None = None
    notes: str = Field(default="", max_length=5000)
    contacts: list[ContactIn] = Field(default_factory=list, max_length=100)


class HomeUpdate(Input):
    name: Name | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    local_authority: LocalAuthority = None
    beds: int | None = Field(default=None, ge=0, le=10000)
    protected_time_agreed_on: date | None = None
    notes: str | None = Field(default=None, max_length=5000)


class HomeOut(Output):
    id: int
    name: str
    region: str
    local_authority: str | None
    beds: int | None
    protected_time_agreed: bool
    protected_time_agreed_on: date | None
    notes: str
    contacts: list[ContactOut]

    @classmethod
    def of(cls, home: CareHome) -> HomeOut:
        return cls(id=home.id, name=home.name, region=home.region, local_authority=home.local_authority,
                   beds=home.beds,
                   protected_time_agreed=home.protected_time_agreed,
                   protected_time_agreed_on=home.protected_time_agreed_on, notes=home.notes,
                   contacts=[ContactOut.of(c) for c in sorted(home.contacts, key=lambda c: (c.name, c.id))])


class HomeList(Output):
    homes: list[HomeOut]


# Groups ----------------------------------------------------------------------------------------

class MembershipOut(Output):
    home_id: int
    home_name: str
    joined_on: date
    left_on: date | None

    @classmethod
    def of(cls, m: Membership) -> MembershipOut:
        return cls(home_id=m.home_id, home_name=m.home.name, joined_on=m.joined_on, left_on=m.left_on)


class GroupCreate(Input):
    name: Name
    provider: Provider = Provider(DEFAULT_PROVIDER)
    default_duration_minutes: int = Field(default=90, ge=15, le=480)
    facilitator_ids: list[RowId] = Field(default_factory=list, max_length=50)


class GroupUpdate(Input):
    name: Name | None = None
    provider: Provider | None = None
    default_duration_minutes: int | None = Field(default=None, ge=15, le=480)
    facilitator_ids: list[RowId] | None = Field(default=None, max_length=50)


class GroupOut(Output):
    id: int
    name: str
    provider: str
    default_duration_minutes: int
    facilitator_ids: list[int]
    members: list[MembershipOut]

    @classmethod
    def of(cls, group: Group) -> GroupOut:
        return cls(id=group.id, name=group.name, provider=group.provider,
                   default_duration_minutes=group.default_duration_minutes,
                   facilitator_ids=[u.id for u in group.facilitators],
                   members=[MembershipOut.of(m) for m in group.memberships])


class GroupList(Output):
    groups: list[GroupOut]


class MemberAdd(Input):
    home_id: RowId
    joined_on: date


class MemberRemoveQuery(Input):
    left_on: date | None = None


def present_fields(model: BaseModel) -> dict[str, Any]:
    """The fields a PATCH body actually carried (``null`` included), by name."""
    return {name: getattr(model, name) for name in model.model_fields_set}


def patch_fields(model: BaseModel, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """``present_fields`` that refuses ``null`` for the fields that cannot be empty."""
    fields = present_fields(model)
    nulls = {k: "This field cannot be null." for k, v in fields.items() if v is None and k not in nullable}
    if nulls:
        raise DomainError("Some fields are not valid.", nulls)
    return fields
