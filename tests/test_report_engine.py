"""The engagement report's engine: what one aggregated SQL row per home gives equals the rules run
over every register row read one by one (random histories, on both databases), and the report
cache never shows a report older than the last committed change, in this worker or another."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from facilitator.attendance import register, report_cache, roster
from facilitator.attendance import report as reports
from facilitator.attendance.engagement import Mark, assess
from facilitator.extensions import db
from facilitator.models import CareHome, Group, MeetingSession, Membership
from facilitator.models.attendance import AttendanceEntry, AttendanceStatus
from facilitator.models.engagement import HomePause
from tests.support.attendance import session_for
from tests.support.factories import Auth

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STATUSES = [s.value for s in AttendanceStatus] + [None]


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


def local_day(session: MeetingSession) -> date:
    return session.starts_at.astimezone(ZoneInfo(session.timezone)).date()


def random_world(make: Any, rng: random.Random) -> list[Group]:
    """Two groups of weekly sessions over 18 months (some late in the evening, so that the local
    date differs from the UTC one in summer; a few days with two sessions; one cancelled, one
    still to come), homes that leave and come back, and registers with gaps."""
    homes = [make.home(f"Home {i:02d}", contacts=1) for i in range(10)]
    groups = [make.group("North", homes=homes[:6]), make.group("South", homes=homes[4:])]
    db.session.commit()
    for group in groups:
        for membership in list(group.memberships):
            roll = rng.random()
            membership.joined_on = date(2025, 5, 1) + timedelta(days=rng.randrange(0, 200))
            if roll < 0.25:
                membership.left_on = membership.joined_on + timedelta(days=rng.randrange(30, 300))
                if roll < 0.15:
                    back = membership.left_on + timedelta(days=rng.randrange(0, 60))
                    db.session.add(Membership(group=group, home=membership.home, joined_on=back))
        start = datetime(2025, 6, 3, 9, 30, tzinfo=UTC) if group.name == "North" else \
            datetime(2025, 6, 5, 22, 30, tzinfo=UTC)
        for week in range(80):
            when = start + timedelta(weeks=week)
            status = "cancelled" if week == 40 else "scheduled"
            sessions = [session_for(group, starts_at=when, provider="link", status=status)]
            if week % 13 == 5:  # a second session that day, later
                sessions.append(session_for(group, starts_at=when + timedelta(hours=1), provider="link"))
            for session in sessions:
                for home in homes:
                    if rng.random() < 0.85:
                        db.session.add(AttendanceEntry(
                            session_id=session.id, home_id=home.id, comment="",
                            status=rng.choice(STATUSES), senior_present=rng.choice([True, False, None])))
    # Two pauses: one over the autumn (its sessions are not expected), one covering today (paused).
    db.session.add_all([HomePause(home=homes[4], starts_on=date(2025, 10, 1), ends_on=date(2025, 12, 15),
                                  reason="outbreak"),
                        HomePause(home=homes[5], starts_on=date(2026, 11, 1), ends_on=date(2026, 12, 10),
                                  reason="inspection")])
    db.session.commit()
    return groups


def pauses_of(home_id: int) -> list[tuple[date, date]]:
    return [(p.starts_on, p.ends_on) for p in db.session.scalars(sa.select(HomePause).where(
        HomePause.home_id == home_id))]


def reference(group: Group, as_of: date, now: datetime) -> dict[int, tuple[Any, Any, dict[int, str]]]:
    """The rules run over every register row, read through the ORM one by one."""
    query = (sa.select(MeetingSession).where(MeetingSession.group_id == group.id)
             .order_by(MeetingSession.starts_at, MeetingSession.id))
    sessions = [s for s in db.session.scalars(query)
                if s.status != "cancelled" and s.starts_at <= now]
    entries = {(e.session_id, e.home_id): e for e in db.session.scalars(sa.select(AttendanceEntry))}
    spans: dict[int, list[Membership]] = {}
    for m in db.session.scalars(sa.select(Membership).where(Membership.group_id == group.id)):
        if m.joined_on <= as_of:
            spans.setdefault(m.home_id, []).append(m)
    result = {}
    for home_id, periods in spans.items():
        marks, cells = [], {}
        for session in sessions:
            day = local_day(session)
            if not any(p.is_member_on(day) for p in periods):
                continue
            entry = entries.get((session.id, home_id))
            cells[session.id] = entry.status or "" if entry else ""
            if entry is not None and entry.status is not None:
                marks.append(Mark(day, entry.status, entry.senior_present))
        withdrawn = not any(p.is_member_on(as_of) for p in periods)
        pauses = pauses_of(home_id)
        result[home_id] = (assess(marks, as_of=as_of, withdrawn=withdrawn, pauses=pauses),
                           previous(marks, withdrawn, pauses), cells)
    return result


def previous(marks: list[Mark], withdrawn: bool, pauses: list[tuple[date, date]]) -> Any:
    """The status before the latest expected session: a session inside a pause is not expected."""
    expected = [m for m in marks if not any(first <= m.on <= last for first, last in pauses)]
    if withdrawn or not expected:
        return None
    latest = expected[-1].on
    return assess([m for m in expected if m.on < latest], as_of=latest - timedelta(days=1)).status


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_aggregated_report_equals_the_rules_over_every_row(app, make, seed):
    groups = random_world(make, random.Random(seed))
    as_of = NOW.astimezone(LONDON).date()
    report = reports.engagement_report(reports.Filters(), now=NOW, zone=LONDON, charted=None)
    assert {b.group.name for b in report.blocks} == {"North", "South"}
    compared = 0
    for group in groups:
        expected = reference(group, as_of, NOW)
        block = next(b for b in report.blocks if b.group.id == group.id)
        assert {row.home.id for row in block.rows} == set(expected)
        for row in block.rows:
            engagement, was, cells = expected[row.home.id]
            assert row.engagement == engagement, row.home.name
            assert row.previous == was, row.home.name
            assert row.cells == cells, row.home.name
            compared += engagement.expected
        for column in block.sessions:
            marks = [cells[column.id] for _, _, cells in expected.values() if cells.get(column.id)]
            counted = [m for m in marks if m != AttendanceStatus.EXCUSED]
            assert (column.expected, column.attended) == (
                len(counted), sum(m in ("present", "late", "left_early") for m in counted))
    assert compared > 300  # the histories are long enough to mean something
    statuses = {row.home.name: row.engagement.status for row in report.rows}
    assert statuses["Home 05"] == "paused"


def test_a_date_range_and_a_region_give_the_same_as_the_rules(app, make):
    groups = random_world(make, random.Random(7))
    for home in db.session.scalars(sa.select(CareHome)):
        home.region = "Fife" if int(home.name[-2:]) % 2 else "Glasgow"
    db.session.commit()
    filters = reports.Filters(region="fife", date_from=date(2025, 9, 1), date_to=date(2026, 3, 31))
    report = reports.engagement_report(filters, now=NOW, zone=LONDON)
    fife = {h.id for h in db.session.scalars(sa.select(CareHome).where(CareHome.region == "Fife"))}
    for group in groups:
        sessions_in_range = [s for s in db.session.scalars(sa.select(MeetingSession).where(
            MeetingSession.group_id == group.id)) if date(2025, 9, 1) <= local_day(s) <= date(2026, 3, 31)]
        assert sessions_in_range
        block = next(b for b in report.blocks if b.group.id == group.id)
        assert {row.home.id for row in block.rows} <= fife
        for row in block.rows:
            marks = []
            periods = list(db.session.scalars(sa.select(Membership).where(
                Membership.group_id == group.id, Membership.home_id == row.home.id)))
            for session in sorted(sessions_in_range, key=lambda s: (s.starts_at, s.id)):
                entry = db.session.scalar(sa.select(AttendanceEntry).where(
                    AttendanceEntry.session_id == session.id, AttendanceEntry.home_id == row.home.id))
                if (session.status != "cancelled" and entry is not None and entry.status is not None
                        and any(p.is_member_on(local_day(session)) for p in periods)):
                    marks.append(Mark(local_day(session), entry.status, entry.senior_present))
            withdrawn = not any(p.is_member_on(date(2026, 3, 31)) for p in periods)
            assert row.engagement == assess(marks, as_of=date(2026, 3, 31), withdrawn=withdrawn)


def test_starts_on_follows_the_start_in_the_sessions_own_time_zone(app, make):
    group = make.group("Late night")
    session = session_for(group, starts_at=datetime(2026, 6, 30, 23, 30, tzinfo=UTC), provider="link")
    assert session.starts_on == date(2026, 7, 1)  # 00:30 in London (summer time)
    session.starts_at = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    db.session.commit()
    stored = db.session.execute(sa.select(MeetingSession.starts_on).where(MeetingSession.id == session.id))
    assert stored.scalar_one() == date(2026, 12, 31)  # 23:30 in London (winter)


# The report cache ---------------------------------------------------------------------------------

def small_world(make: Any) -> dict[str, Any]:
    facilitator = make.user("facilitator")
    north_homes = [make.home(f"North home {i}") for i in range(3)]
    south_homes = [make.home(f"South home {i}") for i in range(3)]
    north = make.group("North", facilitators=[facilitator], homes=north_homes)
    south = make.group("South", homes=south_homes)
    for membership in [*north.memberships, *south.memberships]:
        membership.joined_on = date(2026, 1, 1)
    db.session.commit()
    sessions = {g.name: [session_for(g, starts_at=datetime(2026, 11, d, 10, tzinfo=UTC), provider="link")
                         for d in (3, 10, 17)] for g in (north, south)}
    return {"facilitator": facilitator, "north": north, "south": south, "sessions": sessions,
            "homes": {"North": north_homes, "South": south_homes}}


def report(**filters: Any) -> report.Report:
    return reports.engagement_report(reports.Filters(**filters), now=NOW, zone=LONDON, charted=None)


def block_of(result: report.Report, name: str) -> report.GroupBlock:
    return next(b for b in result.blocks if b.group.name == name)


def save(world: dict[str, Any], group: str, index: int, status: str) -> None:
    session = world["sessions"][group][index]
    version = roster.register_of(session).version if roster.register_of(session) else 0
    rows = [register.RowInput(home_id=h.id, status=status) for h in world["homes"][group]]
    register.save_register(session, rows, expected_version=version, user=world["facilitator"], now=NOW)
    db.session.commit()


def test_a_saved_register_is_in_the_next_report_at_once(app, make):
    world = small_world(make)
    world["south"].facilitators.append(world["facilitator"])
    db.session.commit()
    before = report()
    assert all(row.engagement.expected == 0 for row in before.rows)
    assert report() is not before and block_of(report(), "North") is block_of(before, "North")  # cached
    save(world, "North", 0, "present")
    after = report()
    assert {row.engagement.expected for row in block_of(after, "North").rows} == {1}
    assert block_of(after, "South") is block_of(before, "South")  # only the changed group is computed again
    save(world, "North", 1, "absent")
    assert {row.engagement.attended for row in block_of(report(), "North").rows} == {1}
    assert {row.engagement.expected for row in block_of(report(), "North").rows} == {2}


def test_changes_to_homes_contacts_and_memberships_are_in_the_next_report(app, make):
    world = small_world(make)
    report()
    home = world["homes"]["South"][0]
    home.name = "Renamed House"
    db.session.commit()
    assert "Renamed House" in {row.home.name for row in report().rows}
    membership = db.session.scalar(sa.select(Membership).where(Membership.home_id == home.id))
    membership.left_on = date(2026, 11, 1)
    db.session.commit()
    row = next(r for r in report().rows if r.home.id == home.id)
    assert row.engagement.status.value == "withdrawn"
    world["south"].name = "South and West"
    db.session.commit()
    assert "South and West" in {b.group.name for b in report().blocks}


def test_a_session_that_starts_enters_the_report_without_any_write(app, make):
    world = small_world(make)
    upcoming = session_for(world["north"], starts_at=NOW + timedelta(hours=1), provider="link")
    db.session.add(AttendanceEntry(session_id=upcoming.id, home_id=world["homes"]["North"][0].id,
                                   status="present", comment=""))
    db.session.commit()
    early = reports.engagement_report(reports.Filters(), now=NOW, zone=LONDON, charted=None)
    assert upcoming.id not in {c.id for c in block_of(early, "North").sessions}
    later = reports.engagement_report(reports.Filters(), now=NOW + timedelta(hours=2), zone=LONDON,
                                      charted=None)
    assert upcoming.id in {c.id for c in block_of(later, "North").sessions}


def test_another_worker_sees_a_change_committed_by_this_one(app, make_app, make):
    world = small_world(make)
    other = make_app()
    with other.app_context():
        assert {row.engagement.expected for row in block_of(report(), "North").rows} == {0}
    save(world, "North", 2, "late")
    with other.app_context():
        assert {row.engagement.attended for row in block_of(report(), "North").rows} == {1}


def test_the_cache_can_be_turned_off(make_app, make):
    app = make_app(REPORT_CACHE_SIZE=0)
    with app.app_context():
        small_world(make)
        first = report()
        assert block_of(report(), "North") is not block_of(first, "North")
        assert len(report_cache.parts()) == 0


def test_the_cache_keeps_at_most_its_size():
    cache = report_cache.PartCache(2)
    for key in "abc":
        cache.put(key, key.upper())
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (None, "B", "C", 2)


def test_with_every_group_the_charts_show_each_groups_latest_sessions(app, make):
    lead = make.user("lead")
    group = make.group("Weekly", homes=[make.home("Only Home")])
    for week in range(15):
        session_for(group, starts_at=NOW - timedelta(weeks=week, hours=1), provider="link")
    client = app.test_client()
    Auth(client, make).login(lead)
    everything = client.get("/reports/attendance").get_data(as_text=True)
    assert everything.count('class="hm-col"') == 12
    assert "Each group's latest 12 sessions are shown" in everything
    one = client.get(f"/reports/attendance?group_id={group.id}").get_data(as_text=True)
    assert one.count('class="hm-col"') == 15 and "latest 12 sessions" not in one
