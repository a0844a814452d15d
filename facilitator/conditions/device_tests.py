""""Test this iPad" (issue 17): a home opens its provider's own test meeting from its page, and
the test is recorded with the browser it used, so the readiness item "device tested" ticks itself.

A home's test meetings are those of the providers of its current groups that have one (the URL
is a fact of the provider, asked through ``facilitator.providers.hub``). Nothing here flushes
more than the one row; the request's transaction commits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from facilitator.clock import now_utc
from facilitator.errors import NotFoundError
from facilitator.extensions import db
from facilitator.models import Contact, DeviceTest, Group, Membership
from facilitator.providers import hub
from facilitator.user_agents import browser_family, device_family


@dataclass(frozen=True)
class TestMeeting:
    provider: str
    label: str  # "Zoom"
    url: str


def test_meetings(home_id: int, today: date) -> list[TestMeeting]:
    """The test meetings a home can open: one per provider of its current groups that has one."""
    providers = db.session.scalars(select(Group.provider).join(Membership, Membership.group_id == Group.id)
                                   .where(Membership.home_id == home_id, Membership.is_member_on(today))
                                   .distinct())
    found = []
    for name in sorted(set(providers), key=lambda n: hub().names().index(n) if hub().is_known(n) else 99):
        url = hub().test_meeting_url(name)
        if url:
            found.append(TestMeeting(name, hub().label(name), url))
    return found


def record_device_test(contact: Contact, provider: str, user_agent: str, today: date) -> TestMeeting:
    """The contact's home opened ``provider``'s test meeting: recorded; returns where to go.

    A provider none of the home's current groups uses, or one with no test meeting, is a 404.
    """
    meeting = next((m for m in test_meetings(contact.home_id, today) if m.provider == provider), None)
    if meeting is None:
        raise NotFoundError("No test meeting for this home on that provider.", {"provider": "Unknown."})
    db.session.add(DeviceTest(home_id=contact.home_id, contact_id=contact.id, provider=provider,
                              browser_family=browser_family(user_agent)[:30],
                              device=device_family(user_agent)[:30], tested_at=now_utc()))
    db.session.flush()
    return meeting


def latest_tests(home_ids: list[int]) -> dict[int, DeviceTest]:
    """Each home's latest test (two statements whatever the number of homes)."""
    if not home_ids:
        return {}
    newest = (select(DeviceTest.home_id, func.max(DeviceTest.tested_at).label("at"))
              .where(DeviceTest.home_id.in_(home_ids)).group_by(DeviceTest.home_id).subquery())
    rows = db.session.scalars(select(DeviceTest).join(
        newest, (DeviceTest.home_id == newest.c.home_id) & (DeviceTest.tested_at == newest.c.at))
        .order_by(DeviceTest.id))
    return {row.home_id: row for row in rows}
