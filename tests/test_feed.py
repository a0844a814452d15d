"""A home's calendar feed (``/feeds/<token>.ics``), read back by two parsers and our lint."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import vobject

from facilitator.admin import services as admin
from facilitator.extensions import db
from integrations.ical import calendar_name
from integrations.icslint import lint
from tests.integrations.test_ical import parse_icalendar, parse_vobject, raw_lines, unfolded
from tests.support.invites import (
    BASE,
    JOIN_URL,
    JOINED,
    NOW,
    START,
    UNKNOWN_TOKEN,
    add_session,
    cancel,
    deliver,
    invites_config,
    reschedule,
    set_now,
)

HOSTILE_HOME = "Taigh na Mara, Lewis; \\ Gàidhlig 🌿\r\nX-INJECTED:1\rEND:VCALENDAR"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def feed_setting(app, make):
    """A home (with a hostile name) in a group with past, future, cancelled and foreign sessions."""
    facilitator = make.user("facilitator", name="Ailsa Fraser", email="ailsa@psl.example.org")
    home = make.home(HOSTILE_HOME)
    other = make.home("Bellfield Court")
    group = make.group("West of Scotland PSL", facilitators=[facilitator], homes=[home, other],
                       joined_on=date(2024, 9, 2))
    sessions = {
        "old": add_session(group, title="Too old", starts_at=NOW - timedelta(days=95)),
        "recent": add_session(group, title="Recent", starts_at=NOW - timedelta(days=80)),
        "next": add_session(group, title="Next week"),
        "cancelled": add_session(group, title="Called off", starts_at=START + timedelta(days=7)),
        "later": add_session(group, title="After it left", starts_at=START + timedelta(days=60)),
    }
    _, mails = deliver(app)
    cancel(sessions["cancelled"])
    admin.end_membership(group, home.id, date(2025, 4, 1))
    db.session.commit()
    other_group = make.group("Another group", homes=[make.home("Elsewhere")], joined_on=JOINED)
    add_session(other_group, title="Someone else's")
    mail = next(m for m in mails if m.to == home.contacts[0].email)
    token = mail.links("webcal://psl.example.org/feeds/")[0].rsplit("/", 1)[1]
    return home, sessions, token, mails


def test_the_feed_is_a_publish_calendar_both_parsers_read(app, client, feed_setting):
    home, sessions, token, mails = feed_setting
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    ics = response.data
    assert lint(ics, expected_method="PUBLISH") == []

    lib = parse_icalendar(ics)
    vob = parse_vobject(ics)
    assert str(lib["METHOD"]) == "PUBLISH" == vob.method.value
    name = calendar_name(HOSTILE_HOME)
    assert name == "Taigh na Mara Lewis / Gàidhlig 🌿 X-INJECTED:1 END:VCALENDAR"
    # Nothing to escape: parsers that do not unescape NAME / X-WR-CALNAME show no backslash.
    assert str(lib["NAME"]) == name == str(lib["X-WR-CALNAME"])
    assert vob.contents["name"][0].value == name and vob.contents["x-wr-calname"][0].value == name
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in raw_lines(ics)
    assert "X-PUBLISHED-TTL:PT1H" in raw_lines(ics)
    assert not any(line.startswith(("X-INJECTED", "END:VCALENDAR")) for line in unfolded(ics)[:-1])

    titles = {str(e["SUMMARY"]) for e in lib.events}
    assert titles == {"Recent", "Next week", "Called off"}, "90 days back, only while a member"
    vob_events = {e.summary.value: e for e in vob.contents["vevent"]}
    assert set(vob_events) == titles
    invited_uids = {m.calendar and parse_icalendar(m.calendar).events[0]["UID"] for m in mails}
    for event in lib.events:
        title = str(event["SUMMARY"])
        session = next(s for s in sessions.values() if s.title == title)
        v = vob_events[title]
        assert str(event["UID"]) == session.ical_uid == v.uid.value
        assert int(event["SEQUENCE"]) == session.sequence == int(v.sequence.value)
        assert event.decoded("DTSTART") == session.starts_at == v.dtstart.value
        assert event.decoded("DTEND") == session.ends_at == v.dtend.value
        expected = "CANCELLED" if title == "Called off" else "CONFIRMED"
        assert str(event["STATUS"]) == expected == v.status.value
        assert "ATTENDEE" not in event and "attendee" not in v.contents
        assert str(event["ORGANIZER"]) == "mailto:ailsa@psl.example.org" == v.organizer.value
        own = f"{BASE}/feeds/{token}/sessions/{session.id}"
        assert str(event["LOCATION"]) == own == v.location.value == str(event["URL"])
        assert list(event.walk("VALARM")) == []
    assert {str(e["UID"]) for e in lib.events if str(e["SUMMARY"]) != "Recent"} <= invited_uids
    assert JOIN_URL not in ics.decode()


def test_an_empty_feed_is_still_valid(app, client, make):
    home = make.home("New Home", contacts=1)
    make.group("Quiet group", homes=[home], joined_on=JOINED)
    from facilitator.invites.tokens import mint_contact_token
    from facilitator.models import LinkKind

    token = mint_contact_token(home.contacts[0], LinkKind.FEED)
    db.session.commit()
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    assert lint(response.data, expected_method="PUBLISH") == []
    lib = parse_icalendar(response.data)
    assert lib.events == []
    (zone,) = lib.walk("VTIMEZONE")
    assert str(zone["TZID"]) == app.config["TIMEZONE"] == "Europe/London"
    assert vobject.readOne(response.data.decode(), validate=True).vtimezone.tzid.value == "Europe/London"


def test_etag_and_last_modified_answer_304_until_something_changes(app, client, feed_setting):
    _, sessions, token, _ = feed_setting
    url = f"/feeds/{token}.ics"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(url).data == first.data, "the same data gives the same bytes"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    reschedule(sessions["next"], starts_at=START + timedelta(hours=3))
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    lib = parse_icalendar(changed.data)
    moved = next(e for e in lib.events if str(e["SUMMARY"]) == "Next week")
    assert moved.decoded("DTSTART") == START + timedelta(hours=3) and int(moved["SEQUENCE"]) == 1


def test_unknown_and_revoked_feed_tokens_are_404(app, client, feed_setting):
    home, _, token, _ = feed_setting
    assert client.get(f"/feeds/{UNKNOWN_TOKEN}.ics").status_code == 404
    from facilitator.invites.services import revoke_links

    revoke_links(home.contacts[0])
    db.session.commit()
    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_the_feed_link_in_the_feed_page_follows_the_home_page_rules(app, client, feed_setting):
    _, sessions, token, _ = feed_setting
    set_now(app, sessions["next"].starts_at)
    path = f"/feeds/{token}/sessions/{sessions['next'].id}"
    response = client.get(path, headers={"User-Agent": "iPad Safari/1"})
    assert response.status_code == 303 and response.headers["Location"] == JOIN_URL
    assert client.get(f"{path}/calendar.ics").status_code == 200
    theirs = next(s for s in sessions.values() if s.title == "After it left")
    assert client.get(f"/feeds/{token}/sessions/{theirs.id}").status_code == 404, "no longer a member"
    assert client.get(f"/h/{token}/sessions/{sessions['next'].id}").status_code == 404, "not a page link"
