"""The one rule for a phone number typed by a person (a facilitator's, a partner's)."""

from __future__ import annotations

import re

from facilitator.errors import DomainError

PHONE = re.compile(r"\+?[0-9 ()-]{5,}")


def clean_phone(phone: str | None) -> str | None:
    """A phone number as typed (spaces kept: it is read by people), or None when blank."""
    phone = (phone or "").strip()
    if not phone:
        return None
    if len(phone) > 40 or not PHONE.fullmatch(phone):
        raise DomainError("Check the phone number.",
                          {"phone": "Enter a phone number: digits, spaces and + ( ) - only, up to 40."})
    return phone
