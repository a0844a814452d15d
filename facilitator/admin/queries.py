"""Reads for the users and homes tables: searched, sorted and paginated by ``facilitator.listing``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import ScalarSelect, func, select
from sqlalchemy.orm import selectinload

from facilitator.extensions import db
from facilitator.listing import Listing, matches, paginate
from facilitator.models import CareHome, Contact, LoginAttempt, User


def _last_sign_in() -> ScalarSelect[datetime]:
    return (select(func.max(LoginAttempt.created_at))
            .where(LoginAttempt.email == User.email, LoginAttempt.succeeded)
            .correlate(User).scalar_subquery())


def user_table(args: Mapping[str, str]) -> Listing:
    """Staff users, searched by name or email; sorted by name, email, role, status or last sign-in."""
    sorts = {"name": User.name, "email": User.email, "role": User.role, "status": User.is_active,
             "last_sign_in": _last_sign_in()}
    query = select(User).options(selectinload(User.supervisor))
    return paginate(query, args, search=[User.name, User.email], sorts=sorts,
                    default_sort="name", tiebreak=User.id)


def last_sign_ins(users: Iterable[User]) -> dict[str, datetime]:
    """When each of ``users`` last signed in (a successful attempt), by email; absent: never."""
    emails = [u.email for u in users]
    if not emails:
        return {}
    rows = db.session.execute(
        select(LoginAttempt.email, func.max(LoginAttempt.created_at))
        .where(LoginAttempt.email.in_(emails), LoginAttempt.succeeded).group_by(LoginAttempt.email))
    return {email: when for email, when in rows}


def home_table(args: Mapping[str, str]) -> Listing:
    """Care homes, searched by name, region or a contact's email; sorted by name, region, beds or
    protected time."""
    sorts = {"name": CareHome.name, "region": CareHome.region, "beds": CareHome.beds,
             "protected_time": CareHome.protected_time_agreed_on}
    query = select(CareHome).options(selectinload(CareHome.contacts))
    return paginate(query, args, search=[CareHome.name, CareHome.region], sorts=sorts,
                    default_sort="name", tiebreak=CareHome.id,
                    also=lambda pattern: CareHome.contacts.any(matches(Contact.email, pattern)))
