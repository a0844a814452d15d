"""Request and response models of the partner directory's API (issue 17)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

from facilitator.api.schemas import Input, Output, RowId
from facilitator.conditions.areas import COUNCIL_AREAS, area_key, unknown_area_message
from facilitator.csv_import import ImportResult
from facilitator.models import Partner, PartnerContact, Specialism

SPECIALISMS = [s.value for s in Specialism]


def _known_area(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if area_key(value) is None:
        raise ValueError(unknown_area_message())
    return area_key(value)


def _known_specialism(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in SPECIALISMS:
        raise ValueError(f"Choose one of: {', '.join(SPECIALISMS)}.")
    return value


AreaKey = Annotated[str | None, AfterValidator(_known_area),
                    Field(json_schema_extra={"enum": [*COUNCIL_AREAS, None]})]
AreaName = Annotated[str, Field(max_length=60, json_schema_extra={"enum": list(COUNCIL_AREAS)})]
SpecialismName = Annotated[str, Field(max_length=30, json_schema_extra={"enum": SPECIALISMS})]
Text = Annotated[str, Field(max_length=5000)]


class PartnerQuery(Input):
    local_authority: AreaKey = None
    specialism: Annotated[str | None, AfterValidator(_known_specialism),
                          Field(json_schema_extra={"enum": [*SPECIALISMS, None]})] = None


class PartnerCreate(Input):
    name: str = Field(max_length=200)
    areas: list[AreaName] = Field(max_length=len(COUNCIL_AREAS), description="Council area keys")
    specialisms: list[SpecialismName] = Field(max_length=len(SPECIALISMS))
    referral_route: Text = ""
    website: str = Field(default="", max_length=300, description="https:// only")
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)
    last_checked_on: date | None = None


class PartnerUpdate(Input):
    name: str | None = Field(default=None, max_length=200)
    areas: list[AreaName] | None = Field(default=None, max_length=len(COUNCIL_AREAS))
    specialisms: list[SpecialismName] | None = Field(default=None, max_length=len(SPECIALISMS))
    referral_route: Text | None = None
    website: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    last_checked_on: date | None = None


class PartnerOut(Output):
    id: int
    name: str
    areas: list[str]
    specialisms: list[str]
    referral_route: str
    website: str
    phone: str
    email: str
    last_checked_on: date | None

    @classmethod
    def of(cls, p: Partner) -> PartnerOut:
        return cls(id=p.id, name=p.name, areas=p.areas, specialisms=p.specialisms,
                   referral_route=p.referral_route, website=p.website, phone=p.phone, email=p.email,
                   last_checked_on=p.last_checked_on)


class PartnerList(Output):
    partners: list[PartnerOut]


class RowErrorOut(Output):
    row: int
    field: str
    message: str


class PartnerImportOut(Output):
    created: int
    updated: int
    errors: list[RowErrorOut]

    @classmethod
    def of(cls, result: ImportResult) -> PartnerImportOut:
        return cls(created=result.created, updated=result.updated,
                   errors=[RowErrorOut(row=e.row, field=e.field, message=e.message) for e in result.errors])


class PartnerContactIn(Input):
    partner_id: RowId
    contacted_on: date
    outcome: Text
    next_step: Text = ""


class PartnerContactOut(Output):
    id: int
    home_id: int
    partner_id: int
    partner_name: str
    contacted_on: date
    outcome: str
    next_step: str
    recorded_by_id: int | None

    @classmethod
    def of(cls, c: PartnerContact) -> PartnerContactOut:
        return cls(id=c.id, home_id=c.home_id, partner_id=c.partner_id, partner_name=c.partner.name,
                   contacted_on=c.contacted_on, outcome=c.outcome, next_step=c.next_step,
                   recorded_by_id=c.recorded_by_id)


class PartnerContactList(Output):
    partner_contacts: list[PartnerContactOut]
