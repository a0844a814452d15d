"""The membership rule, "is this home a member of the group on this date", written once
(``Membership.is_member_on``) and used everywhere: one table of cases, run through the rule in
Python, the same rule in SQL, and the places that ask it (who is on a session's register, who is
invited to it, and whether the report counts a home as still in the group)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from facilitator.admin import services as admin
from facilitator.attendance import report, roster
from facilitator.attendance.filters import Filters
from facilitator.clock import zone
from facilitator.extensions import db
from facilitator.invites import queries as invites
from facilitator.models import MeetingSession, Membership, member_on

JOINED = date(2026, 1, 5)
# (left on, the session's date, a member on that date?). ``left_on`` is the first day the home is
# no longer a member.
CASES = [
    (None, JOINED - timedelta(days=1), False),  # the day before it joins
    (None, JOINED, True),  # the day it joins
    (None, date(2027, 6, 1), True),  # long after, never having left
    (date(2026, 3, 1), date(2026, 2, 28), True),  # the last day it is a member
    (date(2026, 3, 1), date(2026, 3, 1), False),  # the day it leaves
    (date(2026, 3, 1), date(2026, 4, 1), False),  # after it left
    (JOINED, JOINED, False),  # joined and left on the same day: never a member
]
IDS = [f"left-{left or 'never'}-on-{day}" for left, day, _ in CASES]


@pytest.mark.parametrize(("left_on", "day", "member"), CASES, ids=IDS)
def test_the_rule_in_python(left_on, day, member):
    assert member_on(JOINED, left_on, day) is member
    assert Membership(joined_on=JOINED, left_on=left_on).is_member_on(day) is member


@pytest.fixture
def world(make):
    home = make.home("Ardenlea House", contacts=1)
    group = make.group("West of Scotland PSL", homes=[home], joined_on=JOINED)
    return group, home


def _leave(group, home, left_on):
    if left_on is not None:
        admin.end_membership(group, home.id, left_on)
        db.session.commit()


def _session_on(group, day: date) -> MeetingSession:
    start = datetime.combine(day, time(10), tzinfo=zone()).astimezone(UTC)
    session = MeetingSession(group=group, title="PSL", starts_at=start, ends_at=start + timedelta(minutes=90),
                             timezone=str(zone()), provider=group.provider, status="scheduled",
                             sync_state="synced", sync_action="none")
    db.session.add(session)
    db.session.commit()
    return session


@pytest.mark.parametrize(("left_on", "day", "member"), CASES, ids=IDS)
def test_the_rule_in_sql(app, world, left_on, day, member):
    group, home = world
    _leave(group, home, left_on)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Membership)
                              .where(Membership.home_id == home.id, Membership.is_member_on(day)))
    assert count == int(member)
    exists = db.session.scalar(sa.select(Membership.current_exists(group.id, home.id, day)))
    assert bool(exists) is member


@pytest.mark.parametrize(("left_on", "day", "member"), CASES, ids=IDS)
def test_the_register_the_invitations_and_the_report_ask_the_same_rule(app, world, left_on, day, member):
    group, home = world
    _leave(group, home, left_on)
    session = _session_on(group, day)
    assert (home in roster.member_homes(session)) is member
    assert (home.contacts[0].id in invites.eligible_contacts(session)) is member
    assert (home.id in invites.member_home_ids(session)) is member
    # The report counts a home as withdrawn when it is no longer a member on the day it is as of.
    now = session.ends_at + timedelta(days=1)
    rows = report.engagement_report(Filters(group_id=group.id), now=now, zone=zone()).rows
    current = {row.home.id for row in rows if row.engagement.status.value != "withdrawn"}
    assert (home.id in current) is member_on(JOINED, left_on, now.astimezone(zone()).date())
