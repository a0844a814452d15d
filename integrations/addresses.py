"""Email addresses as they travel: an IDN domain as punycode, a non-ASCII local part only with SMTPUTF8.

A domain such as ``dùn.example`` has an ASCII form (``xn--dn-oka.example``) that every server,
client and calendar understands, so that form is what goes into the To header, the SMTP envelope
and an ``ATTENDEE``/``ORGANIZER`` ``mailto:``. A local part such as ``mòrag.ünï`` has no ASCII
form: it can only travel over SMTPUTF8 (RFC 6531), which the receiving server has to offer.
"""

from __future__ import annotations

import idna

__all__ = ["ascii_domain", "needs_smtputf8", "wire_address"]


def _split(address: str) -> tuple[str, str]:
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise ValueError(f"invalid email address: {address!r}")
    return local, domain


def ascii_domain(domain: str) -> str:
    """``dùn.example`` → ``xn--dn-oka.example`` (IDNA 2008 with UTS 46 mapping); ASCII is kept."""
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise ValueError(f"invalid domain {domain!r}: {exc}") from exc


def wire_address(address: str) -> str:
    """The address as it is sent: the local part as written, the domain in its ASCII form."""
    local, domain = _split(address)
    return f"{local}@{ascii_domain(domain)}"


def needs_smtputf8(address: str) -> bool:
    """Does the part before the ``@`` hold non-ASCII characters (deliverable only over SMTPUTF8)?"""
    return not _split(address)[0].isascii()
