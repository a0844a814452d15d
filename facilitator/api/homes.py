from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from facilitator.access import ADMIN, READERS, get_or_404
from facilitator.admin import services
from facilitator.api.core import operation
from facilitator.api.schemas import HomeCreate, HomeList, HomeOut, HomeUpdate, patch_fields
from facilitator.extensions import db
from facilitator.models import CareHome


@operation("/homes", "GET", roles=READERS, summary="List care homes with their contacts",
           response=HomeList)
def list_homes() -> HomeList:
    homes = db.session.scalars(
        select(CareHome).options(selectinload(CareHome.contacts)).order_by(CareHome.name))
    return HomeList(homes=[HomeOut.of(h) for h in homes])


@operation("/homes", "POST", roles=ADMIN, summary="Create a care home with its contacts",
           body=HomeCreate, response=HomeOut, status=201)
def create_home(body: HomeCreate) -> HomeOut:
    contacts = [services.ContactData(c.name, str(c.email), c.role.value, c.active)
                for c in body.contacts]
    home = services.create_home(body.name, body.region, body.beds, body.protected_time_agreed_on,
                                body.notes, contacts, local_authority=body.local_authority)
    return HomeOut.of(home)


@operation("/homes/<int:home_id>", "GET", roles=READERS, summary="One care home",
           response=HomeOut)
def get_home(home_id: int) -> HomeOut:
    return HomeOut.of(get_or_404(CareHome, home_id))


@operation("/homes/<int:home_id>", "PATCH", roles=ADMIN, summary="Change a care home",
           body=HomeUpdate, response=HomeOut)
def update_home(home_id: int, body: HomeUpdate) -> HomeOut:
    home = get_or_404(CareHome, home_id)
    changes = patch_fields(body, nullable=frozenset({"beds", "protected_time_agreed_on",
                                                                   "local_authority"}))
    services.update_home(home, **changes)
    return HomeOut.of(home)
