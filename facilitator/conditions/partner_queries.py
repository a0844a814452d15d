"""Reads of the partner directory and of homes' partner contacts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.models import Partner, PartnerArea, PartnerContact, PartnerSpecialism


def directory(local_authority: str | None = None, specialism: str | None = None) -> list[Partner]:
    """The partners covering ``local_authority`` with ``specialism`` (either None: any), by name."""
    stmt = select(Partner).options(selectinload(Partner.area_rows), selectinload(Partner.specialism_rows))
    if local_authority:
        stmt = stmt.where(Partner.id.in_(
            select(PartnerArea.partner_id).where(PartnerArea.area == local_authority)))
    if specialism:
        stmt = stmt.where(Partner.id.in_(
            select(PartnerSpecialism.partner_id).where(PartnerSpecialism.specialism == specialism)))
    return list(db.session.scalars(stmt.order_by(Partner.name_key)))


def covering(local_authority: str | None) -> list[Partner]:
    """The partners a home in ``local_authority`` can turn to; none while its area is not recorded."""
    return directory(local_authority) if local_authority else []


def home_contacts(home_id: int) -> list[PartnerContact]:
    """A home's contacts with partners, newest first."""
    return list(db.session.scalars(
        select(PartnerContact).where(PartnerContact.home_id == home_id)
        .options(selectinload(PartnerContact.partner), selectinload(PartnerContact.recorded_by))
        .order_by(PartnerContact.contacted_on.desc(), PartnerContact.id.desc())))
