"""Series invitations (issue 15): one calendar entry per series, one email per contact per change.

Each step is checked the way a contact's calendar would see it: every email a contact received
is applied in order (``tests/support/calendar_client.py``: a REQUEST replaces the entry, a CANCEL
removes an occurrence or the whole UID, SEQUENCE must rise), then what the calendar holds is
expanded by ``recurring_ical_events`` and by ical.js (never by the app's rule code) and compared
with the app's own list of that contact's sessions (start and end in UTC, cancelled ones absent).
Every calendar sent is also read by icalendar, vobject, ical.js and libical's iTIP restriction
check (the calendar witness, ``tests/conftest.py``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import icalendar
import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import InviteDelivery, MeetingSession, Method, Series
from tests.support.calendar_client import CalendarClient
from tests.support.invites import JOIN_URL, JOINED, deliver, invites_config

LONDON = "Europe/London"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make, api):
    """A facilitator's group with two member homes (two contacts each), and the API as them."""
    facilitator = make.user("facilitator", name="Ailsa Fraser", email="ailsa.fraser@psl.example.org")
    homes = [make.home("Ardenlea House"), make.home("Bellfield Court")]
    group = make.group("West of Scotland PSL", facilitators=[facilitator], homes=homes, joined_on=JOINED)
    api.as_user(facilitator)
    return group, homes


class Contacts:
    """Every contact's calendar, fed by each worker run."""

    def __init__(self, app, oracles) -> None:
        self.app, self.oracles = app, oracles
        self.clients: dict[str, CalendarClient] = {}

    def deliver(self) -> Counter[str]:
        """Send what is queued; returns how many emails each address got."""
        _, sent = deliver(self.app)
        for email in sent:
            assert email.calendar is not None, email.msg["Subject"]
            self.clients.setdefault(email.to, CalendarClient()).receive(email.calendar)
        return Counter(email.to for email in sent)

    def assert_calendars_match(self) -> None:
        """What each contact's calendar shows is exactly the app's list of their sessions."""
        db.session.rollback()
        for address, client in self.clients.items():
            wanted = app_sessions(address)
            for reader in ("recurring_ical_events", "ical.js"):
                shown = sorted(o for ics in client.calendars() for o in self.oracles.expand(ics)[reader])
                assert shown == wanted, f"{reader} for {address}"


def app_sessions(address: str) -> list[tuple[str, str]]:
    """The app's own list: sessions this address is invited to and that are not cancelled."""
    rows = db.session.scalars(
        select(MeetingSession).join(InviteDelivery, InviteDelivery.session_id == MeetingSession.id)
        .where(InviteDelivery.email == address, InviteDelivery.method == Method.REQUEST,
               MeetingSession.status == "scheduled"))
    text = "%Y-%m-%dT%H:%M:%SZ"
    return sorted((s.starts_at.strftime(text), s.ends_at.strftime(text)) for s in rows)


@pytest.fixture
def contacts(app, calendar_oracles):
    return Contacts(app, calendar_oracles)


def book(api, group, starts_at: str, **repeat) -> list[dict]:
    body = {"group_id": group.id, "title": "Trauma-informed practice", "starts_at": starts_at,
            "duration_minutes": 90, "join_url": JOIN_URL, "repeat": repeat}
    response = api.post("/api/v1/sessions", json=body)
    assert response.status_code == 201, response.json
    return response.json["sessions"]


def all_addresses(homes) -> set[str]:
    return {c.email for home in homes for c in home.contacts}


def master_of(ics: bytes) -> icalendar.Event:
    (master,) = [e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT") if "RECURRENCE-ID" not in e]
    return master


# ------------------------------------------------------------------------------- booking


def test_a_weekly_series_across_both_clock_changes_is_one_request_per_contact(world, api, contacts):
    group, homes = world
    sessions = book(api, group, "2025-03-04T10:00:00", every="week", count=34)

    counts = contacts.deliver()

    assert counts == Counter({address: 1 for address in all_addresses(homes)})
    contacts.assert_calendars_match()
    assert len(app_sessions(homes[0].contacts[0].email)) == 34
    ics = contacts.clients[homes[0].contacts[0].email].calendars()[0]
    calendar = icalendar.Calendar.from_ical(ics)
    assert str(calendar["METHOD"]) == "REQUEST"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == LONDON and {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    master = master_of(ics)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=34;INTERVAL=1"
    assert master["DTSTART"].params["TZID"] == LONDON
    assert master["DTSTART"].dt.strftime("%H:%M") == "10:00"
    # BST from 30 March to 26 October: the UTC time moves, the local time holds.
    assert {s["starts_at"][11:16] for s in sessions} == {"10:00", "09:00"}
    series = db.session.get(Series, sessions[0]["series_id"])
    assert master["UID"] == series.ical_uid != sessions[0]["ical_uid"]


@pytest.mark.parametrize(("starts_at", "repeat", "rule"), [
    ("2025-03-04T10:00:00", {"every": "fortnight", "count": 6}, b"FREQ=WEEKLY;COUNT=6;INTERVAL=2"),
    ("2025-03-12T14:00:00", {"every": "month", "count": 10, "monthly_by": "date"},
     b"FREQ=MONTHLY;COUNT=10;INTERVAL=1;BYMONTHDAY=12"),
    ("2025-03-31T14:00:00", {"every": "month", "count": 6, "monthly_by": "date"},
     b"FREQ=MONTHLY;COUNT=6;INTERVAL=1;BYMONTHDAY=-1"),
    ("2026-01-30T14:00:00", {"every": "month", "count": 4, "monthly_by": "date"},
     b"FREQ=MONTHLY;UNTIL=20260430T130000Z;INTERVAL=1;BYMONTHDAY=30"),  # 28 February: an RDATE
    ("2025-03-11T14:00:00", {"every": "month", "count": 8, "monthly_by": "weekday"},
     b"FREQ=MONTHLY;COUNT=8;INTERVAL=1;BYDAY=2TU"),
    ("2025-04-29T14:00:00", {"every": "month", "count": 6, "monthly_by": "weekday"},
     b"FREQ=MONTHLY;COUNT=6;INTERVAL=1;BYDAY=-1TU"),
])
def test_fortnightly_and_monthly_series_expand_to_the_booked_dates(world, api, contacts, starts_at, repeat,
                                                                   rule):
    group, homes = world
    sessions = book(api, group, starts_at, **repeat)

    assert contacts.deliver() == Counter({address: 1 for address in all_addresses(homes)})
    contacts.assert_calendars_match()
    address = homes[0].contacts[0].email
    assert len(app_sessions(address)) == len(sessions) == repeat["count"]
    assert master_of(contacts.clients[address].calendars()[0])["RRULE"].to_ical() == rule


def test_bank_holidays_left_out_of_a_series_are_exdates(world, api, contacts):
    group, homes = world
    # Mondays from 28 April 2025: 5 May and 26 May are Scottish bank holidays.
    sessions = book(api, group, "2025-04-28T10:00:00", every="week", count=4, skip_holidays=True)

    assert contacts.deliver() == Counter({address: 1 for address in all_addresses(homes)})
    contacts.assert_calendars_match()
    master = master_of(contacts.clients[homes[0].contacts[0].email].calendars()[0])
    exdates = [d.dt.date() for prop in [master["EXDATE"]] for d in prop.dts]
    assert exdates == [date(2025, 5, 5), date(2025, 5, 26)]
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6;INTERVAL=1"
    assert [s["starts_at"][:10] for s in sessions] == ["2025-04-28", "2025-05-12", "2025-05-19", "2025-06-02"]
