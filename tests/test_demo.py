"""The demo shows every screen with something in it, and nobody in it is double-booked."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from facilitator import transaction
from facilitator.attendance import filters, register, report
from facilitator.clock import local_today, now_utc, zone
from facilitator.conditions import partner_queries
from facilitator.demo import load_demo
from facilitator.extensions import db
from facilitator.models import (
    AttendanceParticipant,
    CareHome,
    Group,
    InviteDelivery,
    MeetingSession,
    OutboxMessage,
    Partner,
    PartnerContact,
    Resource,
    Role,
    User,
)
from facilitator.models.supervision import SessionNote
from facilitator.supervision import queries as supervision_queries


@pytest.fixture
def demo(app):
    load_demo("demo-password-2024")
    transaction.commit()  # as the demo command does: the bookings then go to their provider
    return {u.email: u for u in db.session.scalars(sa.select(User))}


def _facilitator(demo, number: str = "") -> User:
    return demo[f"facilitator{number}@demo.facilitator.scot"]


def test_no_facilitator_is_booked_into_two_sessions_at_once(demo):
    for user in (u for u in demo.values() if u.role == Role.FACILITATOR):
        sessions = sorted(db.session.scalars(
            sa.select(MeetingSession).join(Group).where(Group.facilitators.contains(user))),
            key=lambda s: s.starts_at)
        assert sessions
        for earlier, later in zip(sessions, sessions[1:], strict=False):
            assert earlier.ends_at <= later.starts_at, (user.name, earlier.title, later.title)


def test_there_are_sessions_this_week_and_next_and_one_whose_join_link_works_now(demo):
    now = now_utc()
    upcoming = list(db.session.scalars(sa.select(MeetingSession).where(MeetingSession.starts_at > now)))
    assert {s.group_id for s in upcoming} == {g.id for g in db.session.scalars(sa.select(Group))}
    assert any(s.starts_at <= now + timedelta(days=7) for s in upcoming)
    assert any(s.starts_at > now + timedelta(days=7) for s in upcoming)
    assert any(now < s.starts_at <= now + timedelta(minutes=15) for s in upcoming), "within the join window"
    assert all(s.sync_state == "synced" and s.join_url for s in upcoming), "on a pasted link: no keys needed"
    # Every invited contact has its invitation waiting (one per series since issue 15, not per session).
    invited = set(db.session.scalars(sa.select(InviteDelivery.contact_id)))
    queued = set(db.session.scalars(
        sa.select(OutboxMessage.contact_id).where(OutboxMessage.status == "pending")))
    assert invited and invited <= queued, "the invitations wait in the outbox for its worker"


def test_a_register_to_take_and_an_import_with_a_person_to_place(demo):
    now = now_utc()
    ailsa, callum = _facilitator(demo), _facilitator(demo, "2")
    assert [why for _, why in register.registers_to_take(callum, now)] == ["not taken yet"]
    assert [why for _, why in register.registers_to_take(ailsa, now)] == ["people to assign to homes"]
    unmatched = list(db.session.scalars(sa.select(AttendanceParticipant).where(
        AttendanceParticipant.home_id.is_(None), AttendanceParticipant.ignored_as.is_(None))))
    assert [p.name for p in unmatched] == ["Lounge iPad"]


def test_homes_are_engaged_at_risk_and_disengaged(demo):
    rows = report.engagement_report(filters.Filters(), now=now_utc(), zone=zone()).rows
    assert {"engaged", "at_risk", "disengaged"} <= {row.engagement.status.value for row in rows}


def test_a_supervision_is_due_and_a_note_is_written(demo):
    ailsa = _facilitator(demo)
    summary = supervision_queries.summary(ailsa, now_utc().astimezone(zone()).date())
    assert summary.cadence.overdue
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SessionNote)
                             .where(SessionNote.author_id == ailsa.id)) == 1


def test_every_home_has_a_council_area_with_partners_covering_it_and_one_has_a_partner_contact(demo):
    homes = list(db.session.scalars(sa.select(CareHome)))
    assert all(h.local_authority for h in homes)
    assert all(partner_queries.covering(h.local_authority) for h in homes)
    checked = {p.last_checked_on for p in db.session.scalars(sa.select(Partner))}
    assert checked == {local_today() - timedelta(weeks=3)}
    contact = db.session.scalar(sa.select(PartnerContact))
    assert contact.partner.name == "Edinburgh Rape Crisis Centre"
    assert contact.recorded_by.role == Role.FACILITATOR


def test_the_demo_library_has_a_dozen_resources_by_a_facilitator(demo):
    resources = list(db.session.scalars(sa.select(Resource)))
    assert len(resources) == 12
    assert all(r.created_by.role == Role.FACILITATOR.value and r.url.startswith("https://")
               for r in resources)
