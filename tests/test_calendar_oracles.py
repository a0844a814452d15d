"""The calendar oracles must be able to fail: each reader rejects what it should, and the witness
sees calendars at every boundary and fails the test that made a broken one.

The readers are ``tests/support/oracles.py``; the collection is ``tests/support/calendar_witness.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Response

from facilitator.access import PUBLIC, allow
from integrations.mailer import OutgoingEmail, SmtpBackend
from tests.integrations.test_ical_lint import CANCEL, FEED, REQUEST, drop_line, swap
from tests.integrations.test_mailer import Collector, free_port
from tests.support.calendar_witness import BROKEN_CALENDAR, CalendarWitness, harvest
from tests.support.oracles import Libical, Oracles

ROOT = Path(__file__).resolve().parents[1]
NO_ATTENDEE = drop_line(REQUEST, b"ATTENDEE")
NO_ATTENDEE_PROBLEM = "Failed iTIP restrictions for ATTENDEE property"


def test_all_four_read_our_request_cancel_and_feed_cleanly(calendar_oracles: Oracles) -> None:
    verdicts = calendar_oracles.check([REQUEST, CANCEL, FEED])
    assert verdicts == {REQUEST: {}, CANCEL: {}, FEED: {}}


LIBICAL_REFUSES = [
    ("request-no-attendee", NO_ATTENDEE, "ATTENDEE property. Expected one or more instances"),
    ("request-no-dtstamp", drop_line(REQUEST, b"DTSTAMP"), "DTSTAMP property. Expected 1 instances"),
    ("request-no-organizer", drop_line(REQUEST, b"ORGANIZER"), "ORGANIZER property. Expected 1"),
    ("cancel-no-sequence", drop_line(CANCEL, b"SEQUENCE"), "SEQUENCE property. Expected 1"),
    ("cancel-no-organizer", drop_line(CANCEL, b"ORGANIZER"), "ORGANIZER property. Expected 1"),
    (
        "publish-with-attendee",
        swap(FEED, b"END:VEVENT", b"ATTENDEE:mailto:ann@home.example\r\nEND:VEVENT"),
        "ATTENDEE property. Expected 0 instances of the property and got 1",
    ),
    ("not-one-calendar", REQUEST + REQUEST, "not exactly one VCALENDAR"),
]


@pytest.mark.parametrize(("sample", "expected"), [c[1:] for c in LIBICAL_REFUSES],
                         ids=[c[0] for c in LIBICAL_REFUSES])
def test_libical_restriction_check_refuses(sample: bytes, expected: str) -> None:
    problems = Libical().problems(sample)
    assert any(expected in problem for problem in problems), problems


ICALJS_REFUSES = [
    ("no-dtstart", drop_line(REQUEST, b"DTSTART"), "VEVENT 1: no DTSTART"),
    ("no-uid", drop_line(REQUEST, b"UID"), "VEVENT 1: no UID"),
    ("no-dtstamp", drop_line(REQUEST, b"DTSTAMP"), "VEVENT 1: no DTSTAMP"),
    (
        "ends-before-start",
        swap(REQUEST, b"DTEND:20260329T100000Z", b"DTEND:20260329T080000Z"),
        "VEVENT 1: ends before it starts",
    ),
    (
        "undeclared-tzid",
        swap(REQUEST, b"DTSTART:20260329T090000Z", b"DTSTART;TZID=Europe/London:20260329T100000"),
        "TZID Europe/London has no VTIMEZONE",
    ),
    ("bad-date-time", swap(REQUEST, b"DTSTART:20260329T090000Z", b"DTSTART:2026-03-29"), "invalid date-time"),
    ("no-colon", swap(REQUEST, b"SUMMARY:Peer", b"SUMMARY Peer"), "parse: invalid line"),
    ("truncated", REQUEST[: REQUEST.index(b"END:VEVENT")], "component began but did not end"),
    ("two-calendars", REQUEST + REQUEST, "more than one top-level component"),
]


@pytest.mark.parametrize(("sample", "expected"), [c[1:] for c in ICALJS_REFUSES],
                         ids=[c[0] for c in ICALJS_REFUSES])
def test_icaljs_refuses(calendar_oracles: Oracles, sample: bytes, expected: str) -> None:
    problems = calendar_oracles.check([sample])[sample].get("ical.js", [])
    assert any(expected in problem for problem in problems), problems


# The witness, at each boundary (these tests make broken calendars on purpose) --------------------

def only_problem(witness: CalendarWitness, oracles: Oracles, source: str) -> str:
    (problem,) = witness.problems(oracles)
    assert source in problem and NO_ATTENDEE_PROBLEM in problem, problem
    return problem


@pytest.mark.fresh_app
@pytest.mark.broken_calendar("a broken and a good calendar served over HTTP")
def test_the_witness_reads_calendars_served_over_http(make_app, calendar_witness, calendar_oracles) -> None:
    app = make_app()
    for name, body in [("broken", NO_ATTENDEE), ("good", REQUEST), ("page", b"BEGIN:VCALENDAR")]:
        kind = "text/html" if name == "page" else "text/calendar; charset=utf-8"
        view = allow(PUBLIC)(lambda body=body, kind=kind: Response(body, content_type=kind))
        app.add_url_rule(f"/{name}.ics", name, view)
    client = app.test_client()
    for name in ("broken", "good", "page"):
        assert client.get(f"/{name}.ics").status_code == 200
    assert set(calendar_witness.calendars()) == {NO_ATTENDEE, REQUEST}
    only_problem(calendar_witness, calendar_oracles, "HTTP GET /broken.ics")


def invite(calendar: bytes, to: str = "ann@home.example") -> OutgoingEmail:
    return OutgoingEmail(to_email=to, to_name="Ann", subject="Invitation", text="Hello", html="<p>Hello</p>",
                         message_id=f"<{to}.1@facilitator.example>", from_addr="sessions@facilitator.example",
                         calendar=calendar, calendar_method="REQUEST")


@pytest.mark.broken_calendar("a broken invite kept by the memory backend")
def test_the_witness_reads_the_mail_an_app_kept(make_app, calendar_witness, calendar_oracles) -> None:
    app = make_app(MAIL_BACKEND="memory")
    app.extensions["mail_backend"].send(invite(NO_ATTENDEE))
    harvest(app)  # what make_app's teardown does for every test
    only_problem(calendar_witness, calendar_oracles, "memory-backend mail to Ann <ann@home.example>")


@pytest.mark.broken_calendar("a broken invite through a real SMTP server")
def test_the_witness_reads_the_mail_an_smtp_server_received(calendar_witness, calendar_oracles) -> None:
    port = free_port()
    controller = Controller(Collector(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        SmtpBackend(host="127.0.0.1", port=port, starttls=False, timeout=5).send(invite(NO_ATTENDEE))
    finally:
        controller.stop()
    problem = only_problem(calendar_witness, calendar_oracles, "SMTP to Ann <ann@home.example>")
    assert "text/calendar part" in problem and "application/ics part" in problem


MADE_BROKEN = f'''
import pytest
from tests.support.calendar_witness import saw

BROKEN = {NO_ATTENDEE!r}


def test_makes_a_broken_invite():
    saw(BROKEN, "made by the test")


@pytest.mark.{BROKEN_CALENDAR}("says so")
def test_makes_one_on_purpose():
    saw(BROKEN, "made by the test")
'''


def test_a_broken_calendar_fails_the_test_that_made_it_unless_it_says_so(tmp_path: Path) -> None:
    test_file = tmp_path / "test_made.py"
    test_file.write_text(MADE_BROKEN)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "tests.conftest",
         "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT), str(test_file)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "ERROR at teardown of test_makes_a_broken_invite" in run.stdout, run.stdout
    assert f"libical: {NO_ATTENDEE_PROBLEM}" in run.stdout, run.stdout
    assert "test_makes_one_on_purpose" not in run.stdout, run.stdout
    assert "2 passed, 1 error" in run.stdout, run.stdout  # the first passes, then fails its teardown
