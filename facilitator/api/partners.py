"""The partner directory and homes' partner contacts (issue 17). Admins write the directory;
admins and the facilitators of a home's groups record its partner contacts; leads read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import g, jsonify, request

from facilitator.access import ADMIN, MANAGERS, READERS, get_or_404
from facilitator.api.core import operation
from facilitator.api.partner_schemas import (
    PartnerContactIn,
    PartnerContactList,
    PartnerContactOut,
    PartnerCreate,
    PartnerImportOut,
    PartnerList,
    PartnerOut,
    PartnerQuery,
    PartnerUpdate,
)
from facilitator.api.schemas import patch_fields
from facilitator.conditions import partner_import, partner_queries, partners
from facilitator.errors import BadInput
from facilitator.models import CareHome, Partner

CSV_TYPES = ("text/csv", "application/csv")


@operation("/partners", "GET", roles=READERS, query=PartnerQuery, response=PartnerList,
           summary="The partner directory, by council area covered and specialism")
def list_partners(query: PartnerQuery) -> PartnerList:
    found = partner_queries.directory(query.local_authority, query.specialism)
    return PartnerList(partners=[PartnerOut.of(p) for p in found])


@operation("/partners", "POST", roles=ADMIN, body=PartnerCreate, response=PartnerOut, status=201,
           summary="Add a partner organisation to the directory")
def create_partner(body: PartnerCreate) -> PartnerOut:
    return PartnerOut.of(partners.save_partner(partners.PartnerData(**body.model_dump())))


@operation("/partners/<int:partner_id>", "PATCH", roles=ADMIN, body=PartnerUpdate, response=PartnerOut,
           summary="Change a partner organisation")
def update_partner(partner_id: int, body: PartnerUpdate) -> PartnerOut:
    partner = get_or_404(Partner, partner_id)
    data = partners.PartnerData(name=partner.name, areas=partner.areas, specialisms=partner.specialisms,
                                referral_route=partner.referral_route, website=partner.website,
                                phone=partner.phone, email=partner.email,
                                last_checked_on=partner.last_checked_on)
    changed = {**asdict(data), **patch_fields(body, nullable=frozenset({"last_checked_on"}))}
    return PartnerOut.of(partners.save_partner(partners.PartnerData(**changed), partner))


@operation("/partners/import", "POST", roles=ADMIN, response=PartnerImportOut,
           summary="Add and update partners from a CSV file (body text/csv, UTF-8, header row). "
                   "All rows or none: when any row has a problem nothing is imported and the answer is "
                   "422 with this same body, its errors naming each row and column")
def import_partners() -> Any:
    if request.mimetype not in CSV_TYPES:
        raise BadInput("Send the file as the body with Content-Type text/csv.",
                       {"body": "Content-Type must be text/csv."})
    result = PartnerImportOut.of(partner_import.import_partners(request.get_data()))
    if result.errors:
        response = jsonify(result.model_dump(mode="json"))
        response.status_code = 422
        return response
    return result


@operation("/homes/<int:home_id>/partner-contacts", "GET", roles=READERS, response=PartnerContactList,
           summary="A home's contacts with partner organisations, newest first")
def list_partner_contacts(home_id: int) -> PartnerContactList:
    home = get_or_404(CareHome, home_id)
    return PartnerContactList(partner_contacts=[PartnerContactOut.of(c)
                                                for c in partner_queries.home_contacts(home.id)])


@operation("/homes/<int:home_id>/partner-contacts", "POST", roles=MANAGERS, body=PartnerContactIn,
           response=PartnerContactOut, status=201,
           summary="Record a home's contact with a partner (admins; facilitators of the home's groups)")
def create_partner_contact(home_id: int, body: PartnerContactIn) -> PartnerContactOut:
    home = get_or_404(CareHome, home_id)
    data = partners.ContactData(body.partner_id, body.contacted_on, body.outcome, body.next_step)
    return PartnerContactOut.of(partners.record_partner_contact(g.user, home, data))
