"""Writes of the partner directory and of homes' contacts with partners. Flush, never commit.

``partner_problems`` is the one statement of what a partner's details must be: the admin's form,
the API and the CSV import all ask it, so the three can never accept different things.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from facilitator.access import can_manage_home
from facilitator.clock import local_today
from facilitator.conditions.areas import area_key, unknown_area_message
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.extensions import db
from facilitator.models import (
    CareHome,
    Partner,
    PartnerArea,
    PartnerContact,
    PartnerSpecialism,
    Specialism,
    User,
)
from facilitator.phones import clean_phone

MAX_NAME = 200
MAX_TEXT = 5000
MAX_WEBSITE = 300
SPECIALISM_KEYS = [s.value for s in Specialism]


class NotAllowed(DomainError):
    status = 403


@dataclass
class PartnerData:
    """A partner's details as given: areas as keys or names of council areas."""

    name: str
    areas: list[str] = field(default_factory=list)
    specialisms: list[str] = field(default_factory=list)
    referral_route: str = ""
    website: str = ""
    phone: str = ""
    email: str = ""
    last_checked_on: date | None = None


def name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def find_by_name(name: str) -> Partner | None:
    return db.session.scalar(select(Partner).where(Partner.name_key == name_key(name)))


def _area_problem(areas: Iterable[str]) -> str | None:
    areas = [a for a in areas if a.strip()]
    if not areas:
        return "Choose at least one council area."
    unknown = [a for a in areas if area_key(a) is None]
    return f"Unknown council area: {', '.join(unknown)}. {unknown_area_message()}" if unknown else None


def _specialism_problem(specialisms: Iterable[str]) -> str | None:
    given = [s.strip() for s in specialisms if s.strip()]
    if not given:
        return "Choose at least one specialism."
    unknown = [s for s in given if s not in SPECIALISM_KEYS]
    return f"Unknown specialism: {', '.join(unknown)}. Choose from: {', '.join(SPECIALISM_KEYS)}." \
        if unknown else None


def website_problem(website: str) -> str | None:
    """A website is an https:// address of a host (the directory sends people there)."""
    if not website:
        return None
    parts = urlsplit(website)
    if len(website) > MAX_WEBSITE or parts.scheme != "https" or not parts.hostname or " " in website:
        return "Enter the website's address starting https:// (up to 300 characters)."
    return None


def _email_problem(email: str) -> str | None:
    if not email:
        return None
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return "Enter a valid email address."
    return None


def _phone_problem(phone: str) -> str | None:
    try:
        clean_phone(phone)
    except DomainError as exc:
        return exc.fields["phone"]
    return None


def _name_problem(name: str, partner: Partner | None) -> str | None:
    if not name.strip():
        return "Enter the organisation's name."
    if len(name.strip()) > MAX_NAME:
        return "Up to 200 characters."
    other = find_by_name(name)
    if other is not None and (partner is None or other.id != partner.id):
        return "A partner with this name is already in the directory."
    return None


def partner_problems(data: PartnerData, partner: Partner | None = None) -> dict[str, str]:
    """Every problem of a partner's details at once, by field; nothing is changed."""
    found = {
        "name": _name_problem(data.name, partner),
        "areas": _area_problem(data.areas),
        "specialisms": _specialism_problem(data.specialisms),
        "referral_route": "Up to 5,000 characters." if len(data.referral_route) > MAX_TEXT else None,
        "website": website_problem(data.website.strip()),
        "phone": _phone_problem(data.phone),
        "email": _email_problem(data.email.strip()),
        "last_checked_on": "The date cannot be in the future."
        if data.last_checked_on and data.last_checked_on > local_today() else None,
    }
    return {name: message for name, message in found.items() if message}


def save_partner(data: PartnerData, partner: Partner | None = None) -> Partner:
    """Create a partner (``partner`` None) or change one; refuses with every problem at once."""
    problems = partner_problems(data, partner)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    if partner is None:
        partner = Partner()
        db.session.add(partner)
    partner.name, partner.name_key = " ".join(data.name.split()), name_key(data.name)
    partner.referral_route = data.referral_route.strip()
    partner.website, partner.email = data.website.strip(), data.email.strip()
    partner.phone = clean_phone(data.phone) or ""
    partner.last_checked_on = data.last_checked_on
    _set_areas(partner, {area_key(a) for a in data.areas if a.strip()})
    _set_specialisms(partner, {s.strip() for s in data.specialisms if s.strip()})
    db.session.flush()
    return partner


def _set_areas(partner: Partner, keys: set[str | None]) -> None:
    """Keep the rows that stay, drop the others, add the new: no row is replaced by its twin."""
    partner.area_rows = [r for r in partner.area_rows if r.area in keys]
    have = {r.area for r in partner.area_rows}
    partner.area_rows += [PartnerArea(area=k) for k in sorted(keys - have) if k]


def _set_specialisms(partner: Partner, keys: set[str]) -> None:
    partner.specialism_rows = [r for r in partner.specialism_rows if r.specialism in keys]
    have = {r.specialism for r in partner.specialism_rows}
    partner.specialism_rows += [PartnerSpecialism(specialism=k) for k in sorted(keys - have)]


@dataclass
class ContactData:
    partner_id: int | None
    contacted_on: date | None
    outcome: str
    next_step: str = ""


def contact_problems(data: ContactData) -> dict[str, str]:
    """Every problem of a partner contact's details at once, by field; nothing is changed."""
    found = {
        "partner_id": "Choose a partner from the directory."
        if data.partner_id is None or db.session.get(Partner, data.partner_id) is None else None,
        "contacted_on": "Enter the date of the contact." if data.contacted_on is None
        else ("The date cannot be in the future." if data.contacted_on > local_today() else None),
        "outcome": "Say what came of the contact." if not data.outcome.strip()
        else ("Up to 5,000 characters." if len(data.outcome) > MAX_TEXT else None),
        "next_step": "Up to 5,000 characters." if len(data.next_step) > MAX_TEXT else None,
    }
    return {name: message for name, message in found.items() if message}


def record_partner_contact(user: User, home: CareHome, data: ContactData) -> PartnerContact:
    """Admins and the facilitators of the home's groups record a home's contact with a partner."""
    if not can_manage_home(user, home.id, local_today()):
        raise NotAllowed("Only the facilitators of this home's groups record its partner contacts.")
    problems = contact_problems(data)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    contact = PartnerContact(home_id=home.id, partner_id=data.partner_id, contacted_on=data.contacted_on,
                             outcome=data.outcome.strip(), next_step=data.next_step.strip(),
                             recorded_by_id=user.id)
    db.session.add(contact)
    db.session.flush()
    return contact
