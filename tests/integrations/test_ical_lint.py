"""The lint must be able to fail: each deliberately broken sample trips one rule."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import icalendar
import pytest

from integrations.ical import Attendee, EventData, build_cancel, build_feed, build_request
from integrations.icslint import check_sequence_rises, lint

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ANN = Attendee("ann@home.example", "Ann")


def event(sequence: int = 0, status: str = "CONFIRMED") -> EventData:
    return EventData(
        uid="uid-1@facilitator.example",
        sequence=sequence,
        start=datetime(2026, 3, 29, 9, 0, tzinfo=UTC),
        end=datetime(2026, 3, 29, 10, 0, tzinfo=UTC),
        summary="Peer Support",
        description="Hello",
        location_url="https://facilitator.example/j/abc",
        organizer_email="sessions@facilitator.example",
        organizer_name="Sessions",
        status=status,
    )


_EMPTY_PUBLISH = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n"
)
_EMPTY_REQUEST = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
)
REQUEST = build_request(event(), ANN, now=NOW)
CANCEL = build_cancel(event(1, "CANCELLED"), ANN, now=NOW)
FEED = build_feed("Home", [event()], now=NOW)
EMPTY_FEED = build_feed("Home", [], now=NOW, timezone="Europe/London")
LONDON = icalendar.Timezone.from_tzid("Europe/London", first_date=date(2026, 1, 1),
                                      last_date=date(2027, 1, 1))


def swap(ics: bytes, old: bytes, new: bytes) -> bytes:
    assert old in ics, old
    return ics.replace(old, new, 1)


def drop_line(ics: bytes, prefix: bytes) -> bytes:
    """Remove the first content line starting with ``prefix`` and its folded tail."""
    lines = ics.split(b"\r\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(prefix))
    end = index + 1
    while lines[end].startswith(b" "):
        end += 1
    return b"\r\n".join(lines[:index] + lines[end:])


def with_attendee(line: bytes, ics: bytes = REQUEST) -> bytes:
    """``ics`` with its ATTENDEE replaced by ``line`` (short enough not to need folding)."""
    return swap(drop_line(ics, b"ATTENDEE"), b"END:VEVENT", line + b"\r\nEND:VEVENT")


def test_good_samples_are_clean() -> None:
    assert lint(REQUEST, expected_method="REQUEST") == []
    assert lint(CANCEL, expected_method="CANCEL") == []
    assert lint(FEED, expected_method="PUBLISH") == []
    assert lint(EMPTY_FEED, expected_method="PUBLISH") == []


# Files the eight newer rules must leave alone: all-day events, a zone that is declared, a
# longer event, several attendees in a feed's published copy of an organizer's own calendar.
GOOD_VARIANTS = [
    ("all-day", swap(swap(FEED, b"DTSTART:20260329T090000Z", b"DTSTART;VALUE=DATE:20260329"),
                     b"DTEND:20260329T100000Z", b"DTEND;VALUE=DATE:20260330")),
    ("declared-zone", swap(
        swap(FEED, b"DTSTART:20260329T090000Z", b"DTSTART;TZID=Europe/London:20260329T100000"),
        b"BEGIN:VEVENT", LONDON.to_ical() + b"BEGIN:VEVENT")),
    ("quoted-cn", with_attendee(b'ATTENDEE;CN="Ann; Manager":mailto:ann@home.example')),
    ("sequence-ten", swap(REQUEST, b"SEQUENCE:0", b"SEQUENCE:10")),
]


@pytest.mark.parametrize("sample", [g[1] for g in GOOD_VARIANTS], ids=[g[0] for g in GOOD_VARIANTS])
def test_good_variants_are_clean(sample: bytes) -> None:
    assert lint(sample) == []


BROKEN = [
    ("bare-lf", REQUEST.replace(b"\r\n", b"\n"), "bare LF"),
    ("stray-cr", swap(REQUEST, b"SUMMARY:Peer", b"SUMMARY:Pe\rer"), "stray CR"),
    ("long-line", swap(REQUEST, b"SUMMARY:Peer Support", b"SUMMARY:" + b"x" * 80), "octets"),
    (
        "split-utf8",
        swap(REQUEST, b"SUMMARY:Peer Support", "SUMMARY:Gà".encode()[:-1] + b"\r\n \xa0"),
        "splits a character",
    ),
    (
        "undeclared-tzid",
        swap(REQUEST, b"DTSTART:20260329T090000Z", b"DTSTART;TZID=Europe/London:20260329T100000"),
        "TZID 'Europe/London' has no VTIMEZONE",
    ),
    ("no-attendee", drop_line(REQUEST, b"ATTENDEE"), "REQUEST requires ATTENDEE"),
    ("no-organizer", drop_line(REQUEST, b"ORGANIZER"), "REQUEST requires ORGANIZER"),
    ("no-summary", drop_line(REQUEST, b"SUMMARY:Peer"), "REQUEST requires SUMMARY"),
    ("no-dtstamp", drop_line(REQUEST, b"DTSTAMP"), "REQUEST requires DTSTAMP"),
    (
        "two-sequences",
        swap(REQUEST, b"SEQUENCE:0\r\n", b"SEQUENCE:0\r\nSEQUENCE:1\r\n"),
        "more than one SEQUENCE",
    ),
    (
        "dtend-and-duration",
        swap(REQUEST, b"SEQUENCE:0\r\n", b"SEQUENCE:0\r\nDURATION:PT1H\r\n"),
        "both DTEND and DURATION",
    ),
    (
        "request-cancelled",
        swap(REQUEST, b"STATUS:CONFIRMED", b"STATUS:CANCELLED"),
        "REQUEST with STATUS:CANCELLED",
    ),
    ("cancel-no-status", drop_line(CANCEL, b"STATUS"), "CANCEL requires STATUS:CANCELLED"),
    ("cancel-no-sequence", drop_line(CANCEL, b"SEQUENCE"), "CANCEL requires SEQUENCE"),
    (
        "cancel-with-alarm",
        swap(
            CANCEL,
            b"END:VEVENT",
            b"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\nEND:VEVENT",
        ),
        "CANCEL must not carry a VALARM",
    ),
    (
        "publish-with-attendee",
        swap(FEED, b"END:VEVENT", b"ATTENDEE:mailto:ann@home.example\r\nEND:VEVENT"),
        "PUBLISH must not carry ATTENDEE",
    ),
    ("unescaped-comma", swap(REQUEST, b"SUMMARY:Peer", b"SUMMARY:Peer, "), "unescaped ','"),
    ("control-char", swap(REQUEST, b"SUMMARY:Peer", b"SUMMARY:Pe\x1ber"), "control character"),
    ("empty-request", _EMPTY_REQUEST, "carries no VEVENT"),
    # The eight that independent parsers caught (or nothing did) and the lint once missed.
    ("dtend-before-dtstart", swap(REQUEST, b"DTEND:20260329T100000Z", b"DTEND:20260329T080000Z"),
     "DTEND is not after DTSTART"),
    ("invalid-date-time", swap(REQUEST, b"DTSTART:20260329T090000Z", b"DTSTART:20261339T090000Z"),
     "DTSTART: '20261339T090000Z' is not a valid DATE-TIME"),
    ("non-integer-sequence", swap(REQUEST, b"SEQUENCE:0", b"SEQUENCE:1.5"), "SEQUENCE is not an integer"),
    ("unquoted-cn-semicolon", with_attendee(b"ATTENDEE;CN=Ann; Manager:mailto:ann@home.example"),
     "ATTENDEE: parameter ' Manager' has no '=' (an unquoted ';' in a parameter value?)"),
    ("unquoted-cn-comma", with_attendee(b"ATTENDEE;CN=Smith, Ann:mailto:ann@home.example"),
     "ATTENDEE: CN has 2 values (an unquoted ',' in it?)"),
    ("cancel-asks-reply", with_attendee(b"ATTENDEE;RSVP=TRUE:mailto:ann@home.example", CANCEL),
     "CANCEL asks for a reply (RSVP=TRUE)"),
    ("negative-sequence", swap(REQUEST, b"SEQUENCE:0", b"SEQUENCE:-1"), "SEQUENCE is negative"),
    ("same-attendee-twice", swap(FEED, b"END:VEVENT", b"ATTENDEE:mailto:a@b.example\r\n"
                                 b"ATTENDEE:mailto:A@b.example\r\nEND:VEVENT"), "appears more than once"),
    ("empty-vcalendar", _EMPTY_PUBLISH, "VCALENDAR has no component"),
    ("extra-attendee", swap(REQUEST, b"END:VEVENT", b"ATTENDEE:mailto:eve@attacker.example\r\nEND:VEVENT"),
     "REQUEST carries more than one ATTENDEE"),
    ("floating-dtstart", swap(REQUEST, b"DTSTART:20260329T090000Z", b"DTSTART:20260329T090000"),
     "DTSTART is a floating time"),
    ("date-dtend-datetime-dtstart", swap(REQUEST, b"DTEND:20260329T100000Z", b"DTEND;VALUE=DATE:20260330"),
     "DTEND is a DATE but DTSTART a DATE-TIME"),
    ("bad-escape", swap(REQUEST, b"SUMMARY:Peer", b"SUMMARY:Pe\\er"), "invalid escape"),
    (
        "injected-component",
        swap(REQUEST, b"SUMMARY:Peer Support", b"SUMMARY:x\r\nEND:VEVENT"),
        "does not close an open component",
    ),
    ("truncated", REQUEST[: REQUEST.index(b"END:VEVENT")], "is never closed"),
    ("no-version", drop_line(REQUEST, b"VERSION"), "exactly one VERSION"),
    (
        "organizer-is-attendee",
        swap(
            drop_line(REQUEST, b"ATTENDEE"),
            b"END:VEVENT",
            b"ATTENDEE:MAILTO:sessions@facilitator.example\r\nEND:VEVENT",
        ),
        "ORGANIZER is also an ATTENDEE",
    ),
    (
        "local-dtstamp",
        swap(REQUEST, b"DTSTAMP:20260301T120000Z", b"DTSTAMP:20260301T120000"),
        "DTSTAMP must be a UTC",
    ),
    (
        "two-uids",
        swap(
            REQUEST,
            b"END:VCALENDAR",
            b"BEGIN:VEVENT\r\nUID:other\r\nDTSTAMP:20260301T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
        ),
        "mixes several UIDs",
    ),
]


@pytest.mark.parametrize(("sample", "expected"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_lint_catches(sample: bytes, expected: str) -> None:
    problems = lint(sample)
    assert any(expected in problem for problem in problems), problems


def test_lint_checks_mime_method_against_body() -> None:
    problems = lint(REQUEST, expected_method="CANCEL")
    assert problems == ["METHOD is 'REQUEST', expected 'CANCEL'"]
    assert lint(REQUEST, expected_method="request") == []


def test_lint_catches_the_librarys_unescaped_x_wr_calname() -> None:
    """Plain-str X-WR-CALNAME is written raw by the library: the pitfall we guard."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//x//y//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Home, X;\rX-INJECTED:1")
    ics = cal.to_ical()
    problems = lint(ics)
    assert any("stray CR" in p for p in problems), problems
    assert any("unescaped ','" in p for p in problems), problems


def test_sequence_must_rise_per_uid() -> None:
    update = build_request(event(1), ANN, now=NOW)
    assert check_sequence_rises([REQUEST, update, CANCEL.replace(b"SEQUENCE:1", b"SEQUENCE:2")]) == []
    problems = check_sequence_rises([REQUEST, update, CANCEL])
    assert problems == ["object 2: uid-1@facilitator.example: SEQUENCE 1 does not rise above 1"]
    assert check_sequence_rises([update, REQUEST]) != []
    other = build_request(replace(event(), uid="uid-2@facilitator.example"), ANN, now=NOW)
    assert check_sequence_rises([update, other]) == []
