""""Test this iPad" (issue 17): a home opens its provider's own test meeting from its page, and
the test is recorded with the browser it used, so the readiness item "device tested" ticks itself.

A home's test meetings are those of the providers of its current groups that have one (the URL
is a fact of the provider, asked through ``facilitator.providers.hub``). A provider with no public
test meeting (Teams) may instead test in the pre-join screen of the home's next session on it,
which checks camera, microphone and sound before anyone joins: its test leads to that session's
stored join link (only one ``safe_join_url`` accepts), and waits until such a session is booked.
Nothing here flushes more than the one row; the request's transaction commits it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from facilitator.clock import as_local
from facilitator.errors import NotFoundError
from facilitator.extensions import db
from facilitator.invites.joins import safe_join_url
from facilitator.invites.queries import home_sessions
from facilitator.models import Contact, DeviceTest, Group, Membership, SessionStatus
from facilitator.providers import hub
from facilitator.user_agents import browser_family, device_family


@dataclass(frozen=True)
class TestMeeting:
    provider: str
    label: str  # "Zoom"
    url: str | None  # None: the test waits for a session on this provider to be booked
    hint: str | None = None  # what the test opens, when not the provider's own test meeting


def test_meetings(home_id: int, now: datetime) -> list[TestMeeting]:
    """The tests a home can open: one per provider of its current groups that offers one."""
    providers = db.session.scalars(select(Group.provider).join(Membership, Membership.group_id == Group.id)
                                   .where(Membership.home_id == home_id,
                                          Membership.is_member_on(as_local(now).date()))
                                   .distinct())
    names = sorted(set(providers), key=lambda n: hub().names().index(n) if hub().is_known(n) else 99)
    in_meeting = [name for name in names if hub().device_check_uses_meeting(name)]
    links = _next_join_urls(home_id, in_meeting, now) if in_meeting else {}
    found = []
    for name in names:
        if url := hub().test_meeting_url(name):
            found.append(TestMeeting(name, hub().label(name), url))
        elif name in in_meeting:
            found.append(TestMeeting(name, hub().label(name), links.get(name), hub().device_check_hint(name)))
    return found


def _next_join_urls(home_id: int, providers: list[str], now: datetime) -> dict[str, str]:
    """Per provider, the join link of the home's next scheduled session on it that has a safe one."""
    found: dict[str, str] = {}
    for session in home_sessions(home_id, now):
        url = safe_join_url(session.join_url)
        if session.status == SessionStatus.SCHEDULED and session.provider in providers and url:
            found.setdefault(session.provider, url)
    return found


def record_device_test(contact: Contact, provider: str, user_agent: str, now: datetime) -> TestMeeting:
    """The contact's home opened ``provider``'s test: recorded; returns where to go.

    A provider none of the home's current groups uses, one with no test, or one whose test waits
    for a session to be booked is a 404.
    """
    meeting = next((m for m in test_meetings(contact.home_id, now) if m.provider == provider and m.url), None)
    if meeting is None:
        raise NotFoundError("No test meeting for this home on that provider.", {"provider": "Unknown."})
    db.session.add(DeviceTest(home_id=contact.home_id, contact_id=contact.id, provider=provider,
                              browser_family=browser_family(user_agent)[:30],
                              device=device_family(user_agent)[:30], tested_at=now))
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
