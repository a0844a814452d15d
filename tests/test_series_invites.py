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

import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from facilitator.admin import services as admin
from facilitator.extensions import db
from facilitator.invites import series as series_module
from facilitator.invites import services as invite_services
from facilitator.models import CalendarReply, InviteDelivery, MeetingSession, Method, Series
from facilitator.replies.parse import Answer, normalise_address
from facilitator.replies.record import record_answer
from tests.support.calendar_client import CalendarClient
from tests.support.invites import (
    BASE,
    JOIN_URL,
    JOINED,
    START,
    Sent,
    add_session,
    deliver,
    invites_config,
    reschedule,
    set_now,
)

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
        self.last: dict[str, Sent] = {}

    def deliver(self) -> Counter[str]:
        """Send what is queued; returns how many emails each address got."""
        _, sent = deliver(self.app)
        for email in sent:
            assert email.calendar is not None, email.msg["Subject"]
            self.clients.setdefault(email.to, CalendarClient()).receive(email.calendar)
            self.last[email.to] = email
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


# ------------------------------------------------------------------------------- changes


@pytest.fixture
def weekly(world, api, contacts):
    """Ten weekly sessions from Tuesday 4 March 2025 (across the March clock change), sent."""
    group, homes = world
    sessions = book(api, group, "2025-03-04T10:00:00", every="week", count=10)
    assert contacts.deliver() == Counter({address: 1 for address in all_addresses(homes)})
    return sessions


def one_each(homes, method: str, contacts) -> None:
    assert contacts.deliver() == Counter({address: 1 for address in all_addresses(homes)})
    for address in all_addresses(homes):
        assert contacts.clients[address].methods[-1] == method
    contacts.assert_calendars_match()


def test_moving_and_retitling_one_occurrence_is_one_request_with_an_override(world, api, contacts, weekly):
    _, homes = world
    moved = api.patch(f"/api/v1/sessions/{weekly[3]['id']}", json={"starts_at": "2025-03-26T14:00:00"})
    assert moved.status_code == 200, moved.json
    one_each(homes, "REQUEST", contacts)

    retitled = api.patch(f"/api/v1/sessions/{weekly[6]['id']}", json={"title": "Compassion fatigue"})
    assert retitled.status_code == 200, retitled.json
    one_each(homes, "REQUEST", contacts)

    calendar = icalendar.Calendar.from_ical(contacts.clients[homes[1].contacts[0].email].calendars()[0])
    overrides = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e}
    assert set(overrides) == {"Trauma-informed practice", "Compassion fatigue"}
    assert overrides["Trauma-informed practice"]["RECURRENCE-ID"].dt.strftime("%d %H:%M") == "25 10:00"
    assert [int(e["SEQUENCE"]) for e in calendar.walk("VEVENT")] == [2, 2, 2]


def test_cancelling_one_occurrence_is_a_cancel_of_its_recurrence_id(world, api, contacts, weekly):
    _, homes = world
    assert api.delete(f"/api/v1/sessions/{weekly[2]['id']}").status_code == 200
    one_each(homes, "CANCEL", contacts)

    # The next change carries the complete state: the cancelled one as an EXDATE.
    api.patch(f"/api/v1/sessions/{weekly[5]['id']}", json={"title": "Endings"})
    one_each(homes, "REQUEST", contacts)
    master = master_of(contacts.clients[homes[0].contacts[1].email].calendars()[0])
    assert [d.dt.strftime("%Y-%m-%d") for d in master["EXDATE"].dts] == ["2025-03-18"]


def test_this_and_the_following_ends_the_series_and_starts_a_new_one(world, api, contacts, weekly):
    _, homes = world
    response = api.patch(f"/api/v1/sessions/{weekly[4]['id']}",
                         json={"starts_at": "2025-04-03T15:00:00", "scope": "following"})
    assert response.status_code == 200, response.json

    # Two UIDs now: the old one ends before the split (a REQUEST), the rest is a new series.
    assert contacts.deliver() == Counter({address: 2 for address in all_addresses(homes)})
    contacts.assert_calendars_match()
    client = contacts.clients[homes[0].contacts[0].email]
    assert client.methods[-2:] == ["REQUEST", "REQUEST"]
    old, new = (master_of(ics) for ics in client.calendars())
    assert old["RRULE"].to_ical().startswith(b"FREQ=WEEKLY;UNTIL=20250325T100000Z")
    assert new["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6;INTERVAL=1"
    assert old["UID"] != new["UID"]
    db.session.rollback()
    assert db.session.get(MeetingSession, weekly[4]["id"]).series_id != weekly[0]["series_id"]


def test_cancelling_the_whole_series_is_one_cancel_for_the_uid(world, api, contacts, weekly):
    _, homes = world
    assert api.delete(f"/api/v1/sessions/{weekly[0]['id']}?scope=following").status_code == 200
    one_each(homes, "CANCEL", contacts)
    for address in all_addresses(homes):
        assert contacts.clients[address].entries == {}


def test_a_home_joining_mid_series_gets_one_request_of_the_rest_and_leaving_one_cancel(
        app, make, world, contacts, weekly):
    group, homes = world
    late = make.home("Craigmore Lodge")
    admin.add_member(group, late.id, date(2025, 4, 1))
    db.session.commit()
    newcomers = all_addresses([late])
    assert contacts.deliver() == Counter({address: 1 for address in newcomers})
    contacts.assert_calendars_match()
    master = master_of(contacts.clients[late.contacts[0].email].calendars()[0])
    assert master["DTSTART"].dt.strftime("%Y-%m-%d") == "2025-04-01"
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=6;INTERVAL=1"

    admin.end_membership(group, homes[0].id, date(2025, 2, 26))
    db.session.commit()
    leavers = all_addresses([homes[0]])
    assert contacts.deliver() == Counter({address: 1 for address in leavers})
    for address in leavers:
        assert contacts.clients[address].methods[-1] == "CANCEL"
        assert contacts.clients[address].entries == {}
    contacts.assert_calendars_match()


def test_a_new_address_gets_the_series_and_the_old_one_a_cancel(app, world, contacts, weekly):
    _, homes = world
    contact = homes[1].contacts[0]
    old = contact.email
    admin.save_contact(homes[1], admin.ContactData(contact.name, "new.address@home.example", contact.role),
                       contact)
    db.session.commit()
    assert contacts.deliver() == Counter({old: 1, "new.address@home.example": 1})
    assert contacts.clients[old].methods[-1] == "CANCEL"
    contacts.assert_calendars_match()


def test_a_series_booked_before_series_rows_keeps_its_per_session_invitations(world, contacts):
    """No ``series`` row (booked before migration 0017): each session is its own event, as before."""
    group, homes = world
    sessions = [add_session(group, starts_at=START + timedelta(weeks=n), series_id="booked-before-0017")
                for n in range(3)]
    assert contacts.deliver() == Counter({address: 3 for address in all_addresses(homes)})

    reschedule(sessions[1], title="Renamed")
    assert contacts.deliver() == Counter({address: 1 for address in all_addresses(homes)})
    client = contacts.clients[homes[0].contacts[0].email]
    assert set(client.entries) == {s.ical_uid for s in sessions}
    assert all("RRULE" not in master_of(ics) for ics in client.calendars())
    contacts.assert_calendars_match()
    assert db.session.scalar(select(func.count()).select_from(Series)) == 0


def test_the_series_link_opens_the_occurrence_on_now_else_the_next(app, client, world, contacts, weekly):
    _, homes = world
    address = homes[0].contacts[0].email
    (link,) = set(contacts.last[address].links(f"{BASE}/j/"))
    path = link.removeprefix(BASE)

    before = client.get(path)  # a week before the first: its page, not the meeting
    assert before.status_code == 200
    assert "Tuesday 4 March" in before.get_data(as_text=True)

    set_now(app, datetime(2025, 3, 18, 9, 55, tzinfo=UTC))  # the third, in its join window
    assert client.get(path).status_code == 303
    assert client.get(path).headers["Location"] == JOIN_URL
    set_now(app, datetime(2025, 3, 18, 12, 0, tzinfo=UTC))  # after it: the fourth's page
    assert "Tuesday 25 March" in client.get(path).get_data(as_text=True)

    download = client.get(f"{path}/calendar.ics")
    assert download.status_code == 200 and download.mimetype == "text/calendar"
    assert master_of(download.data)["UID"] == master_of(contacts.clients[address].calendars()[0])["UID"]
    for reader, shown in contacts.oracles.expand(download.data).items():
        assert shown == app_sessions(address), reader


# ----------------------------------------------------------------------------------- API


def test_the_series_api_gives_its_rule_uid_sequence_and_sessions(app, make, world, api, contacts, weekly):
    group, _ = world
    series_id = weekly[0]["series_id"]
    api.patch(f"/api/v1/sessions/{weekly[1]['id']}", json={"title": "Moved on its own"})
    contacts.deliver()

    response = api.get(f"/api/v1/series/{series_id}")

    assert response.status_code == 200, response.json
    data = response.json
    assert set(data) == {"id", "group_id", "ical_uid", "sequence", "rule", "sessions"}
    assert (data["id"], data["group_id"]) == (series_id, group.id)
    assert data["ical_uid"] == db.session.get(Series, series_id).ical_uid
    assert data["sequence"] == 1  # the booking's REQUEST went out at 0, the update at 1
    assert data["rule"] == {"every": "week", "count": 10, "until": None, "monthly_by": None}
    assert [s["id"] for s in data["sessions"]] == [s["id"] for s in weekly]
    assert data["sessions"][1]["title"] == "Moved on its own"
    assert set(data["sessions"][0]) == set(weekly[0])

    api.as_user(make.user("facilitator"))  # not one of this group's facilitators
    assert api.get(f"/api/v1/series/{series_id}").status_code == 404
    api.as_user("lead")
    assert api.get(f"/api/v1/series/{series_id}").status_code == 200
    assert api.get("/api/v1/series/not-a-series").status_code == 404
    assert api.get(f"/api/v1/series/{uuid.uuid4()}").status_code == 404


def test_the_session_page_says_part_of_a_series_and_where_its_invitations_stand(
        app, client, auth, world, api, contacts, weekly):
    group, _ = world
    page = client.get(f"/sessions/{weekly[2]['id']}")
    assert page.status_code == 302  # signed out
    auth.login(group.facilitators[0])
    text = " ".join(client.get(f"/sessions/{weekly[2]['id']}").get_data(as_text=True).split())
    assert "Part of a series: Every week on Tuesday at 10:00 (UK time)." in text
    assert "4 invited addresses: 4 sent, 0 waiting, 0 failed." in text


# ------------------------------------------------------------------- feed and downloads


def shape(ics: bytes, uid: str) -> list[tuple]:
    """The events of ``uid``: (RECURRENCE-ID or None, SEQUENCE, RRULE, EXDATEs), in order."""
    found = []
    for event in icalendar.Calendar.from_ical(ics).walk("VEVENT"):
        if str(event["UID"]) != uid:
            continue
        rid = event.get("RECURRENCE-ID")
        exdates = event.get("EXDATE")
        found.append((rid.dt if rid else None, int(event["SEQUENCE"]),
                      event["RRULE"].to_ical() if "RRULE" in event else None,
                      [d.dt for d in exdates.dts] if exdates else []))
    return sorted(found, key=lambda e: (e[0] is not None, e[0] or 0))


def test_the_feed_and_downloads_carry_the_emails_uid_shape_and_sequence(app, client, world, api, contacts,
                                                                          weekly):
    _, homes = world
    api.patch(f"/api/v1/sessions/{weekly[3]['id']}", json={"starts_at": "2025-03-26T14:00:00"})
    contacts.deliver()
    api.delete(f"/api/v1/sessions/{weekly[5]['id']}")
    api.patch(f"/api/v1/sessions/{weekly[7]['id']}", json={"title": "Endings"})
    contacts.deliver()
    address = homes[0].contacts[0].email
    email_ics = contacts.clients[address].calendars()[0]
    uid = str(master_of(email_ics)["UID"])
    sent = contacts.last[address]

    webcal = BASE.replace("http://", "webcal://")
    (feed_link,) = set(sent.links(f"{webcal}/feeds/"))
    feed = client.get(feed_link.removeprefix(webcal) + ".ics")
    assert feed.status_code == 200, feed.data
    assert shape(feed.data, uid) == shape(email_ics, uid)
    for reader, shown in contacts.oracles.expand(feed.data).items():
        assert shown == app_sessions(address), reader

    (home_link,) = set(sent.links(f"{BASE}/h/"))
    download = client.get(f"{home_link.removeprefix(BASE)}/sessions/{weekly[2]['id']}/calendar.ics")
    assert download.status_code == 200
    assert shape(download.data, uid) == shape(email_ics, uid)
    for reader, shown in contacts.oracles.expand(download.data).items():
        assert shown == app_sessions(address), reader

    master_link = str(master_of(feed.data)["URL"]).removeprefix(BASE)
    assert master_link.startswith("/feeds/") and "/series/" in master_link
    assert "Tuesday 4 March" in client.get(master_link).get_data(as_text=True)


def test_a_uid_leads_back_to_its_sessions_and_one_by_its_recurrence_id(world, api, contacts, weekly):
    """What the calendar-reply reader matches a REPLY by (``series.ical_uid`` / ``sessions_of_uid``)."""
    one = db.session.get(MeetingSession, weekly[3]["id"])
    uid = series_module.ical_uid(one)
    assert uid == db.session.get(Series, weekly[0]["series_id"]).ical_uid
    assert [s.id for s in series_module.sessions_of_uid(uid)] == [s["id"] for s in weekly]
    moved = api.patch(f"/api/v1/sessions/{weekly[3]['id']}", json={"starts_at": "2025-03-26T14:00:00"})
    assert moved.status_code == 200
    slot = datetime(2025, 3, 25, 10, 0, tzinfo=UTC)  # its RECURRENCE-ID: the start the rule gave it
    assert [s.id for s in series_module.sessions_of_uid(uid, slot)] == [weekly[3]["id"]]
    single = add_session(world[0], starts_at=START + timedelta(days=90))
    assert series_module.ical_uid(single) == single.ical_uid
    assert series_module.sessions_of_uid(single.ical_uid) == [single]
    assert series_module.sessions_of_uid("unknown@facilitator") == []


def test_revoking_a_contacts_links_stops_their_series_link(app, client, world, contacts, weekly):
    _, homes = world
    contact = homes[0].contacts[0]
    (link,) = set(contacts.last[contact.email].links(f"{BASE}/j/"))
    assert client.get(link.removeprefix(BASE)).status_code == 200
    admin_revoked = invite_services.revoke_links(contact)
    db.session.commit()
    assert admin_revoked >= 1
    assert client.get(link.removeprefix(BASE)).status_code == 404


def test_a_series_link_expires_as_a_join_link_of_its_last_session_would(app, client, world, contacts,
                                                                          weekly):
    _, homes = world
    (link,) = set(contacts.last[homes[0].contacts[0].email].links(f"{BASE}/j/"))
    last = db.session.get(MeetingSession, weekly[-1]["id"])
    days = timedelta(days=app.config["TOKEN_EXPIRY_DAYS"])
    set_now(app, last.ends_at + days - timedelta(minutes=1))
    assert client.get(link.removeprefix(BASE)).status_code == 200
    set_now(app, last.ends_at + days)
    assert client.get(link.removeprefix(BASE)).status_code == 404


def test_reminders_stay_per_occurrence_and_a_resend_is_one_email(app, world, contacts, weekly):
    _, homes = world
    set_now(app, datetime(2025, 3, 3, 10, 30, tzinfo=UTC))  # 23.5 hours before the first session
    _, sent = deliver(app)
    assert {e.to for e in sent} == all_addresses(homes)
    assert all(e.calendar is None and e.msg["Subject"].startswith("Reminder:") for e in sent)
    assert all("Tuesday 4 March" in e.msg["Subject"] for e in sent)

    second = db.session.get(MeetingSession, weekly[1]["id"])
    assert invite_services.resend(second) == len(all_addresses(homes))
    db.session.commit()
    one_each(homes, "REQUEST", contacts)


def test_this_and_the_following_from_the_first_keeps_one_series(world, api, contacts, weekly):
    _, homes = world
    response = api.patch(f"/api/v1/sessions/{weekly[0]['id']}",
                         json={"starts_at": "2025-03-05T15:00:00", "scope": "following"})
    assert response.status_code == 200, response.json
    one_each(homes, "REQUEST", contacts)
    client = contacts.clients[homes[0].contacts[0].email]
    (ics,) = client.calendars()
    master = master_of(ics)
    assert master["DTSTART"].dt.strftime("%a %d %b %H:%M") == "Wed 05 Mar 15:00"
    assert not [e for e in icalendar.Calendar.from_ical(ics).walk("VEVENT") if "RECURRENCE-ID" in e]


def test_this_and_the_following_after_the_earlier_ones_ended_keeps_them(app, world, api, contacts, weekly):
    _, homes = world
    set_now(app, datetime(2025, 3, 26, 9, 0, tzinfo=UTC))  # the first four have happened
    response = api.patch(f"/api/v1/sessions/{weekly[4]['id']}",
                         json={"title": "Part two", "scope": "following"})
    assert response.status_code == 200, response.json
    assert contacts.deliver() == Counter({address: 2 for address in all_addresses(homes)})
    contacts.assert_calendars_match()
    old, new = (master_of(ics) for ics in contacts.clients[homes[1].contacts[0].email].calendars())
    assert old["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20250325T100000Z;INTERVAL=1"
    assert str(new["SUMMARY"]) == "Part two"


def test_a_contact_added_gets_one_request_and_one_made_inactive_one_cancel(app, world, contacts, weekly):
    _, homes = world
    new = admin.ContactData("Morag Bell", "morag.bell@home.example", "manager")
    added = admin.save_contact(homes[0], new)
    db.session.commit()
    assert contacts.deliver() == Counter({"morag.bell@home.example": 1})
    assert contacts.clients["morag.bell@home.example"].methods == ["REQUEST"]

    inactive = admin.ContactData(added.name, added.email, added.role, is_active=False)
    admin.save_contact(homes[0], inactive, added)
    db.session.commit()
    assert contacts.deliver() == Counter({"morag.bell@home.example": 1})
    assert contacts.clients["morag.bell@home.example"].methods == ["REQUEST", "CANCEL"]
    assert contacts.clients["morag.bell@home.example"].entries == {}
    contacts.assert_calendars_match()


def test_a_reply_to_a_series_counts_for_its_occurrences_or_the_one_it_names(world, api, contacts, weekly):
    """A calendar REPLY to a series' UID: the whole series without RECURRENCE-ID (as Google sends
    it), one occurrence by the start its rule gave it (as Outlook and Apple send a changed one)."""
    group, homes = world
    address = homes[0].contacts[0].email
    uid = db.session.get(Series, weekly[0]["series_id"]).ical_uid
    assert api.patch(f"/api/v1/sessions/{weekly[3]['id']}",
                     json={"starts_at": "2025-03-26T14:00:00"}).status_code == 200
    received = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

    def answer(partstat: str, sequence: int, recurrence_id: datetime | None = None) -> Answer:
        return Answer(uid, normalise_address(address.upper()), partstat, sequence, recurrence_id, None)

    assert set(record_answer(answer("ACCEPTED", 0), received)) != {"not_invited"}
    replies = {r.session_id: r.partstat for r in db.session.scalars(select(CalendarReply))}
    assert replies == {s["id"]: "ACCEPTED" for s in weekly}
    slot = datetime(2025, 3, 25, 10, 0, tzinfo=UTC)  # where the rule put the moved one
    record_answer(answer("DECLINED", 5, slot), received)
    replies = {r.session_id: r.partstat for r in db.session.scalars(select(CalendarReply))}
    assert replies[weekly[3]["id"]] == "DECLINED"
    assert [sid for sid, p in replies.items() if p == "DECLINED"] == [weekly[3]["id"]]
    stranger = Answer(uid, "someone.else@example.org", "ACCEPTED", 9, None, None)
    assert record_answer(stranger, received) == ["not_invited"]
    assert record_answer(answer("ACCEPTED", 9, datetime(2025, 3, 26, 10, tzinfo=UTC)),
                         received) == ["no_occurrence"]
