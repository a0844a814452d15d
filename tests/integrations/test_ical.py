"""Invites, updates, cancellations and feeds, re-parsed by two independent parsers.

Every object built here is read back by ``icalendar`` and by ``vobject`` (validating)
and compared field by field, then run through our own lint for what neither checks.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from icalendar.parser import unescape_backslash

from integrations.ical import (
    Attendee,
    EventData,
    build_cancel,
    build_download,
    build_feed,
    build_request,
    calendar_name,
    clean_param,
    clean_text,
)
from integrations.icslint import check_sequence_rises, lint
from tests.support.calendar_witness import saw
from tests.support.oracles import read_icalendar, read_vobject

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
PRODID = "-//Facilitator//Tests//EN"
JOIN = "https://facilitator.example/j/Zx9-tok3n?lang=gd,en"
ORGANIZER = "sessions@facilitator.example"
ANN = Attendee("ann.manager@home.example", "Ann Manager")

HOSTILE = [
    "Tea, biscuits; and chat",
    "back\\slash \\n not a newline",
    "carriage\rreturn",
    "line\nfeed",
    "crlf\r\nATTENDEE:mailto:evil@attacker.example",
    "END:VEVENT\r\nBEGIN:VEVENT",
    "lone CR\rEND:VEVENT\rBEGIN:VEVENT\rSUMMARY:injected",
    "Taigh-cùraim Ghlaschu",
    "Peer support 🌿 session",
    'quote "marks" and ^caret',
    "tab\tand\x00nul\x1bescape\x85nel\u2028sep",
    "x" * 200 + "🌿" * 30,
]


def make_event(**overrides: Any) -> EventData:
    values: dict[str, Any] = {
        "uid": "5b0c1c8e-4a53-4d7e-9a0e-2f6a1c3d9e11@facilitator.example",
        "sequence": 0,
        "start": datetime(2026, 3, 29, 10, 0, tzinfo=LONDON),
        "end": datetime(2026, 3, 29, 11, 30, tzinfo=LONDON),
        "summary": "Peer Support and Learning",
        "description": "Bring a colleague.",
        "location_url": JOIN,
        "organizer_email": ORGANIZER,
        "organizer_name": "Facilitator Sessions",
    }
    values.update(overrides)
    return EventData(**values)


# ------------------------------------------------------------------ re-parsing


def parse_icalendar(ics: bytes) -> icalendar.Calendar:
    """icalendar's strict read; ical.js and libical read the same text at the test's end."""
    saw(ics, "read by the test")
    return read_icalendar(ics)


def parse_vobject(ics: bytes) -> Any:
    saw(ics, "read by the test")
    return read_vobject(ics)


def raw_lines(ics: bytes) -> list[str]:
    assert ics.endswith(b"\r\n")
    return ics.decode("utf-8").split("\r\n")[:-1]


def unfolded(ics: bytes) -> list[str]:
    out: list[str] = []
    for line in raw_lines(ics):
        if line.startswith(" ") and out:
            out[-1] += line[1:]
        else:
            out.append(line)
    return out


def count_lines(ics: bytes, prefix: str) -> int:
    return sum(1 for line in unfolded(ics) if line.split(":", 1)[0].split(";", 1)[0] == prefix)


def vevents_vobject(cal: Any) -> list[Any]:
    return list(cal.contents.get("vevent", []))


def x_text(cal: icalendar.Calendar, name: str) -> str:
    """icalendar keeps NAME / X-WR-CALNAME raw (vUnknown): unescape as TEXT."""
    return unescape_backslash(cal[name].to_ical().decode("utf-8"))


def check_common(ics: bytes, event: EventData, method: str, status: str) -> None:
    """Field-by-field comparison of one VEVENT, in both parsers."""
    lib = parse_icalendar(ics)
    vob = parse_vobject(ics)
    assert str(lib["METHOD"]) == method
    assert vob.method.value == method
    assert str(lib["VERSION"]) == "2.0" and vob.version.value == "2.0"
    assert str(lib["PRODID"]) == PRODID and vob.prodid.value == PRODID

    (lib_event,) = lib.events
    (vob_event,) = vevents_vobject(vob)
    start, end = event.start.astimezone(UTC), event.end.astimezone(UTC)
    summary = clean_text(event.summary)

    assert str(lib_event["UID"]) == event.uid == vob_event.uid.value
    assert int(lib_event["SEQUENCE"]) == event.sequence == int(vob_event.sequence.value)
    assert lib_event.decoded("DTSTART") == start == vob_event.dtstart.value
    assert lib_event.decoded("DTEND") == end == vob_event.dtend.value
    assert lib_event.decoded("DTSTAMP") == NOW == vob_event.dtstamp.value
    assert str(lib_event["SUMMARY"]) == summary == vob_event.summary.value
    assert str(lib_event["STATUS"]) == status == vob_event.status.value
    description = str(lib_event["DESCRIPTION"])
    assert description == vob_event.description.value
    assert JOIN in description
    assert str(lib_event["LOCATION"]) == JOIN == vob_event.location.value
    assert str(lib_event["URL"]) == JOIN == vob_event.url.value

    organizer = lib_event["ORGANIZER"]
    assert str(organizer) == f"mailto:{ORGANIZER}" == vob_event.organizer.value
    assert organizer.params["CN"] == clean_param(event.organizer_name)
    assert vob_event.organizer.params["CN"] == [clean_param(event.organizer_name)]

    assert count_lines(ics, "SEQUENCE") == 1
    assert count_lines(ics, "BEGIN") == count_lines(ics, "END")
    for prop in ("DTSTART", "DTEND", "DTSTAMP"):
        (line,) = [x for x in unfolded(ics) if x.startswith(prop + ":")]
        assert line.endswith("Z"), line
    assert "TZID" not in ics.decode()


def check_attendee(ics: bytes, attendee: Attendee, *, rsvp: bool = True) -> None:
    """One ATTENDEE; ``rsvp``: a REQUEST asks for a reply, a CANCEL never does."""
    lib_event = parse_icalendar(ics).events[0]
    vob_event = vevents_vobject(parse_vobject(ics))[0]
    lib_attendees = lib_event.get("ATTENDEE")
    assert not isinstance(lib_attendees, list), "exactly one ATTENDEE"
    assert str(lib_attendees) == f"mailto:{attendee.email}"
    assert lib_attendees.params["CN"] == clean_param(attendee.name)
    vob_attendees = vob_event.contents["attendee"]
    assert len(vob_attendees) == 1
    assert vob_attendees[0].value == f"mailto:{attendee.email}"
    params = {key: values for key, values in vob_attendees[0].params.items()}
    expected = {"CN": [clean_param(attendee.name)], "ROLE": ["REQ-PARTICIPANT"], "PARTSTAT": ["NEEDS-ACTION"]}
    assert params == ({**expected, "RSVP": ["TRUE"]} if rsvp else expected)
    assert count_lines(ics, "ATTENDEE") == 1


def alarms(ics: bytes) -> list[icalendar.Alarm]:
    return list(parse_icalendar(ics).events[0].walk("VALARM"))


# ---------------------------------------------------------------------- REQUEST


@pytest.mark.parametrize(
    ("local_start", "utc_start"),
    [
        (datetime(2026, 3, 28, 10, 0, tzinfo=LONDON), datetime(2026, 3, 28, 10, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 10, 0, tzinfo=LONDON), datetime(2026, 3, 29, 9, 0, tzinfo=UTC)),
        (datetime(2026, 10, 24, 10, 0, tzinfo=LONDON), datetime(2026, 10, 24, 9, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 10, 0, tzinfo=LONDON), datetime(2026, 10, 25, 10, 0, tzinfo=UTC)),
    ],
    ids=["28mar-gmt", "29mar-bst", "24oct-bst", "25oct-gmt"],
)
def test_request_round_trips_in_both_parsers(local_start: datetime, utc_start: datetime) -> None:
    event = make_event(start=local_start, end=local_start + timedelta(hours=1))
    ics = build_request(event, ANN, prodid=PRODID, now=NOW)

    check_common(ics, event, "REQUEST", "CONFIRMED")
    check_attendee(ics, ANN)
    assert parse_icalendar(ics).events[0].decoded("DTSTART") == utc_start
    start_line = f"DTSTART:{utc_start:%Y%m%dT%H%M%S}Z"
    assert start_line in raw_lines(ics)
    assert lint(ics, expected_method="REQUEST") == []


def test_request_has_a_30_minute_display_alarm() -> None:
    ics = build_request(make_event(), ANN, prodid=PRODID, now=NOW)
    (alarm,) = alarms(ics)
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)
    (vob_alarm,) = vevents_vobject(parse_vobject(ics))[0].contents["valarm"]
    assert vob_alarm.trigger.value == timedelta(minutes=-30)
    assert "TRIGGER:-PT30M" in raw_lines(ics)


def test_request_refuses_cancelled_status_and_organizer_as_attendee() -> None:
    with pytest.raises(ValueError, match="build_cancel"):
        build_request(make_event(status="CANCELLED"), ANN, now=NOW)
    with pytest.raises(ValueError, match="organizer"):
        build_request(make_event(), Attendee(ORGANIZER.upper(), "Me"), now=NOW)


def test_event_data_rejects_naive_or_inverted_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event(start=datetime(2026, 3, 29, 10, 0))
    with pytest.raises(ValueError, match="after start"):
        make_event(end=datetime(2026, 3, 29, 9, 0, tzinfo=LONDON))
    with pytest.raises(ValueError, match="status"):
        make_event(status="TENTATIVE")
    with pytest.raises(ValueError, match="uid"):
        make_event(uid="a\r\nb")


def test_description_carries_join_link_once() -> None:
    ics = build_request(make_event(description=f"Join here: {JOIN}"), ANN, now=NOW)
    description = str(parse_icalendar(ics).events[0]["DESCRIPTION"])
    assert description.count(JOIN) == 1


def test_event_without_join_link_has_no_location_or_url() -> None:
    ics = build_request(make_event(location_url=None), ANN, prodid=PRODID, now=NOW)
    lib_event = parse_icalendar(ics).events[0]
    assert "LOCATION" not in lib_event and "URL" not in lib_event
    assert lint(ics, expected_method="REQUEST") == []


# ------------------------------------------------------- update and CANCEL


def test_reschedule_rename_and_cancel_keep_uid_and_raise_sequence() -> None:
    first = make_event()
    moved = replace(
        first,
        sequence=1,
        start=datetime(2026, 10, 25, 10, 0, tzinfo=LONDON),
        end=datetime(2026, 10, 25, 11, 0, tzinfo=LONDON),
    )
    renamed = replace(moved, sequence=2, summary="Peer Support: winter wellbeing")
    cancelled = replace(renamed, sequence=3, status="CANCELLED")

    sent = [
        build_request(first, ANN, prodid=PRODID, now=NOW),
        build_request(moved, ANN, prodid=PRODID, now=NOW),
        build_request(renamed, ANN, prodid=PRODID, now=NOW),
        build_cancel(cancelled, ANN, prodid=PRODID, now=NOW),
    ]
    for ics, event in zip(sent[:3], (first, moved, renamed), strict=True):
        check_common(ics, event, "REQUEST", "CONFIRMED")
        assert lint(ics, expected_method="REQUEST") == []
    check_common(sent[3], cancelled, "CANCEL", "CANCELLED")
    uids = {str(parse_icalendar(ics).events[0]["UID"]) for ics in sent}
    assert uids == {first.uid}
    assert check_sequence_rises(sent) == []
    assert parse_icalendar(sent[1]).events[0].decoded("DTSTART") == datetime(2026, 10, 25, 10, 0, tzinfo=UTC)


def test_cancel_round_trips_without_alarm() -> None:
    event = make_event(sequence=4, status="CANCELLED")
    ics = build_cancel(event, ANN, prodid=PRODID, now=NOW)
    check_common(ics, event, "CANCEL", "CANCELLED")
    check_attendee(ics, ANN, rsvp=False)
    assert "RSVP" not in ics.decode()
    assert alarms(ics) == []
    assert "BEGIN:VALARM" not in ics.decode()
    assert lint(ics, expected_method="CANCEL") == []


def test_cancel_forces_cancelled_status_even_from_confirmed_data() -> None:
    ics = build_cancel(make_event(sequence=1), ANN, prodid=PRODID, now=NOW)
    assert str(parse_icalendar(ics).events[0]["STATUS"]) == "CANCELLED"
    assert lint(ics, expected_method="CANCEL") == []


# ------------------------------------------------------------------ PUBLISH


def test_feed_publishes_same_uids_without_attendees() -> None:
    confirmed = make_event()
    cancelled = make_event(
        uid="0f6e2a61-3d1c-4c55-8a2b-7f5c0e9d4b22@facilitator.example",
        sequence=2,
        start=datetime(2026, 10, 25, 10, 0, tzinfo=LONDON),
        end=datetime(2026, 10, 25, 11, 0, tzinfo=LONDON),
        status="CANCELLED",
    )
    name = "Taigh-cùraim Ghlaschu, Sràid; Ùr \\ 🌿"
    ics = build_feed(name, [confirmed, cancelled], prodid=PRODID, now=NOW)

    lib, vob = parse_icalendar(ics), parse_vobject(ics)
    assert str(lib["METHOD"]) == "PUBLISH" == vob.method.value
    shown = "Taigh-cùraim Ghlaschu Sràid Ùr / 🌿"
    assert calendar_name(name) == shown
    # Nothing in the name needs escaping, so a parser that does not unescape it shows it right.
    assert str(lib["X-WR-CALNAME"]) == shown == str(lib["NAME"])
    assert vob.contents["x-wr-calname"][0].value == shown
    assert vob.contents["name"][0].value == shown
    assert f"X-WR-CALNAME:{shown}" in unfolded(ics) and f"NAME:{shown}" in unfolded(ics)
    lines = raw_lines(ics)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert lib.decoded("REFRESH-INTERVAL") == timedelta(hours=1)

    assert [str(e["UID"]) for e in lib.events] == [confirmed.uid, cancelled.uid]
    assert [str(e["STATUS"]) for e in lib.events] == ["CONFIRMED", "CANCELLED"]
    assert [e.uid.value for e in vevents_vobject(vob)] == [confirmed.uid, cancelled.uid]
    assert lib.events[1].decoded("DTSTART") == datetime(2026, 10, 25, 10, 0, tzinfo=UTC)
    for event in lib.events:
        assert "ATTENDEE" not in event
        assert str(event["ORGANIZER"]) == f"mailto:{ORGANIZER}"
        assert list(event.walk("VALARM")) == []
    assert lint(ics, expected_method="PUBLISH") == []


def test_feed_uids_match_the_invites() -> None:
    event = make_event()
    invite = build_request(event, ANN, prodid=PRODID, now=NOW)
    feed = build_feed("Home", [event], prodid=PRODID, now=NOW)
    assert parse_icalendar(invite).events[0]["UID"] == parse_icalendar(feed).events[0]["UID"]


def test_empty_feed_carries_the_zones_vtimezone() -> None:
    """RFC 5545 §3.6: a VCALENDAR holds at least one component; a VTIMEZONE shows as no event."""
    ics = build_feed("Empty home", [], prodid=PRODID, now=NOW, timezone="Europe/London")
    lib = parse_icalendar(ics)
    assert lib.events == []
    (zone,) = lib.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/London"
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}
    vob = parse_vobject(ics)
    assert vevents_vobject(vob) == []
    assert vob.vtimezone.tzid.value == "Europe/London"
    assert lint(ics, expected_method="PUBLISH") == []


def test_a_feed_with_events_needs_no_vtimezone() -> None:
    ics = build_feed("Home", [make_event()], prodid=PRODID, now=NOW, timezone="Europe/London")
    assert "VTIMEZONE" not in ics.decode()


def test_download_is_a_single_publish_event() -> None:
    event = make_event()
    ics = build_download(event, prodid=PRODID, now=NOW)
    check_common(ics, event, "PUBLISH", "CONFIRMED")
    assert count_lines(ics, "ATTENDEE") == 0
    assert "BEGIN:VALARM" not in ics.decode()
    assert lint(ics, expected_method="PUBLISH") == []


# ---------------------------------------------------------------- injection


def injected_request(text: str) -> tuple[bytes, EventData, Attendee]:
    event = make_event(summary=text, description=text, organizer_name=text)
    attendee = Attendee("carer@home.example", text)
    return build_request(event, attendee, prodid=PRODID, now=NOW), event, attendee


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_stays_inside_its_property(text: str) -> None:
    ics, event, attendee = injected_request(text)

    check_common(ics, event, "REQUEST", "CONFIRMED")
    check_attendee(ics, attendee)
    assert count_lines(ics, "BEGIN") == 3  # VCALENDAR, VEVENT, VALARM
    assert count_lines(ics, "SUMMARY") == 1
    assert len(vevents_vobject(parse_vobject(ics))) == 1
    assert len(parse_icalendar(ics).events) == 1
    assert lint(ics, expected_method="REQUEST") == []
    body = ics.replace(b"\r\n", b"")
    assert b"\r" not in body and b"\n" not in body


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_description_keeps_line_breaks_escaped(text: str) -> None:
    ics, event, _ = injected_request(text)
    description = str(parse_icalendar(ics).events[0]["DESCRIPTION"])
    assert description.startswith(clean_text(text, multiline=True))
    assert "\r" not in description


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_in_cancel(text: str) -> None:
    event = make_event(summary=text, organizer_name=text, sequence=1)
    attendee = Attendee("carer@home.example", text)
    ics = build_cancel(event, attendee, prodid=PRODID, now=NOW)
    check_common(ics, event, "CANCEL", "CANCELLED")
    check_attendee(ics, attendee, rsvp=False)
    assert lint(ics, expected_method="CANCEL") == []


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_calendar_name_in_feed(text: str) -> None:
    ics = build_feed(text, [make_event(summary=text)], prodid=PRODID, now=NOW)
    lib, vob = parse_icalendar(ics), parse_vobject(ics)
    expected = calendar_name(text)
    assert not set(expected) & set(",;\\")
    assert str(lib["X-WR-CALNAME"]) == expected == str(lib["NAME"])
    assert vob.contents["x-wr-calname"][0].value == expected
    assert len(lib.events) == 1 and len(vevents_vobject(vob)) == 1
    assert count_lines(ics, "X-WR-CALNAME") == 1
    assert count_lines(ics, "ATTENDEE") == 0
    assert lint(ics, expected_method="PUBLISH") == []


def test_unicode_survives_and_folds_without_splitting_characters() -> None:
    summary = "Taigh-cùraim Ghlaschu 🌿 " * 8
    ics = build_request(make_event(summary=summary), ANN, prodid=PRODID, now=NOW)
    for line in ics.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # a fold never splits a character
    assert str(parse_icalendar(ics).events[0]["SUMMARY"]) == clean_text(summary)


# --------------------------------------------------------------- clean_text


def test_clean_text_single_line() -> None:
    assert clean_text("a\r\nb\rc\nd\te\x00f\x85g\u2028h") == "a b c d ef g h"
    assert clean_text("  spaced   out  ") == "spaced out"
    assert clean_text(None) == ""
    assert clean_text("Gàidhlig 🌿, ; \\") == "Gàidhlig 🌿, ; \\"


def test_clean_text_multiline() -> None:
    assert clean_text("a\r\nb\rc\nd\te\x00f\x1b", multiline=True) == "a\nb\nc\nd\tef"
    assert clean_text("one\u2029two", multiline=True) == "one\ntwo"


def test_clean_param_avoids_rfc6868_escapes() -> None:
    assert clean_param('Ann "Nan" O^Neil') == "Ann 'Nan' ONeil"


def test_calendar_name_has_nothing_to_escape() -> None:
    assert calendar_name("Ardenlea, Bellfield; Court\\East") == "Ardenlea Bellfield Court/East"
    assert calendar_name("  Plain  name ") == "Plain name"


def test_idn_domains_are_sent_as_punycode_in_mailto() -> None:
    attendee = Attendee("idn@dùn.example", "Mòrag")
    event = make_event(organizer_email="sessions@facilitator.dùn.example")
    ics = build_request(event, attendee, prodid=PRODID, now=NOW)
    lib_event = parse_icalendar(ics).events[0]
    assert str(lib_event["ATTENDEE"]) == "mailto:idn@xn--dn-oka.example"
    assert str(lib_event["ORGANIZER"]) == "mailto:sessions@facilitator.xn--dn-oka.example"
    assert ics.isascii() or "dùn" not in ics.decode()
    assert lint(ics, expected_method="REQUEST") == []


def test_organizer_under_an_idn_domain_is_still_never_the_attendee() -> None:
    event = make_event(organizer_email="sessions@dùn.example")
    with pytest.raises(ValueError, match="organizer"):
        build_request(event, Attendee("sessions@xn--dn-oka.example"), prodid=PRODID, now=NOW)
