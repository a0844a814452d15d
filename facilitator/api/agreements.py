"""Protected-time agreements: ``/api/v1/homes/<id>/agreements`` and ``/api/v1/agreements/<id>/…``.

Admins and the facilitators of the home's groups write; leads (and facilitators) read.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, get_or_404, managed_home, managed_record
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId
from facilitator.clock import local_today
from facilitator.conditions import agreements, queries
from facilitator.models import Agreement, CareHome


class SponsorOut(Output):
    name: str
    email: str
    contact_id: int | None


class AgreementOut(Output):
    id: int
    home_id: int
    status: str
    source: str
    sponsor: SponsorOut
    psl_hours_per_month: float
    implementation_hours_per_month: float
    task_hours_per_month: float
    starts_on: date
    review_on: date
    text: str
    sent_at: datetime | None
    accepted_at: datetime | None
    accepted_by: str | None
    agreed_on: date | None

    @classmethod
    def of(cls, a: Agreement) -> AgreementOut:
        sponsor = SponsorOut(name=a.sponsor_name, email=a.sponsor_email, contact_id=a.sponsor_contact_id)
        return cls(id=a.id, home_id=a.home_id, status=a.state(local_today()).value, source=a.source,
                   sponsor=sponsor,
                   psl_hours_per_month=a.psl_hours_per_month,
                   implementation_hours_per_month=a.implementation_hours_per_month,
                   task_hours_per_month=a.task_hours_per_month, starts_on=a.starts_on, review_on=a.review_on,
                   text=a.text, sent_at=a.sent_at, accepted_at=a.accepted_at,
                   accepted_by=a.accepted_by or None, agreed_on=a.agreed_on)


class AgreementList(Output):
    agreements: list[AgreementOut]


class AgreementCreate(Input):
    sponsor_contact_id: RowId | None = None
    sponsor_name: str = Field(default="", max_length=200)
    sponsor_email: str = Field(default="", max_length=254)
    psl_hours_per_month: float = Field(ge=0, le=agreements.MAX_HOURS)
    implementation_hours_per_month: float = Field(ge=0, le=agreements.MAX_HOURS)
    task_hours_per_month: float = Field(ge=0, le=agreements.MAX_HOURS)
    starts_on: date
    review_on: date | None = None
    text: str | None = Field(default=None, max_length=20000)


class PaperSigned(Input):
    signed_on: date
    signed_by: str = Field(min_length=1, max_length=200)


@operation("/homes/<int:home_id>/agreements", "GET", roles=READERS,
           summary="A home's protected-time agreements, newest first", response=AgreementList)
def list_agreements(home_id: int) -> AgreementList:
    home = get_or_404(CareHome, home_id)
    return AgreementList(agreements=[AgreementOut.of(a) for a in queries.home_agreements(home.id)])


@operation("/homes/<int:home_id>/agreements", "POST", roles=MANAGERS,
           summary="Draft a protected-time agreement", body=AgreementCreate, response=AgreementOut,
           status=201)
def create_agreement(home_id: int, body: AgreementCreate) -> AgreementOut:
    home = managed_home(home_id)
    data = agreements.AgreementData(**body.model_dump())
    return AgreementOut.of(agreements.create_agreement(home, data, g.user))


@operation("/agreements/<int:agreement_id>/send", "POST", roles=MANAGERS,
           summary="Email the sponsor their link to the agreement", response=AgreementOut)
def send_agreement(agreement_id: int) -> AgreementOut:
    return AgreementOut.of(agreements.send_agreement(managed_record(Agreement, agreement_id)))


@operation("/agreements/<int:agreement_id>/paper", "POST", roles=MANAGERS,
           summary="Record the agreement as signed on paper", body=PaperSigned, response=AgreementOut)
def record_paper(agreement_id: int, body: PaperSigned) -> AgreementOut:
    agreement = managed_record(Agreement, agreement_id)
    return AgreementOut.of(agreements.record_paper(agreement, body.signed_on, body.signed_by))
