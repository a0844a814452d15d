"""Reading an email as a calendar REPLY (``facilitator.replies.parse``): no server, no database."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from facilitator.replies.parse import normalise_address, read_message

OWN = frozenset({"sessions@facilitator.example"})


def calendar(method: str | None = "REPLY", partstat: str = "ACCEPTED", extra: str = "") -> bytes:
    head = f"METHOD:{method}\r\n" if method else ""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + head + "BEGIN:VEVENT\r\n"
            "UID:abc@facilitator\r\nDTSTAMP:20250226T091500Z\r\nDTSTART:20250304T100000Z\r\n" + extra +
            f"ATTENDEE;PARTSTAT={partstat}:MAILTO:Ann@Home.Example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def email_with(ics: bytes, *, subtype: str = "calendar", maintype: str = "text", method: str | None = None,
               sender: str = "ann@home.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["Subject"] = "Accepted"
    msg.set_content("Accepted.")
    msg.add_attachment(ics, maintype=maintype, subtype=subtype, filename="invite.ics",
                       params={"method": method} if method else {})
    return msg.as_bytes()


def test_the_calendars_method_or_else_the_content_type_says_reply():
    assert read_message(email_with(calendar()), OWN).answers
    assert read_message(email_with(calendar(method=None), method="REPLY"), OWN).answers
    assert read_message(email_with(calendar(method=None)), OWN).skipped == "no_reply"
    # The calendar's own METHOD wins over a Content-Type that says otherwise.
    assert read_message(email_with(calendar(method="REQUEST"), method="REPLY"), OWN).skipped == "no_reply"


def test_an_ics_attachment_counts_too_and_the_answer_is_read_in_full():
    found = read_message(email_with(calendar(extra="SEQUENCE:3\r\nRECURRENCE-ID:20250304T100000Z\r\n"),
                                    maintype="application", subtype="ics"), OWN)
    (answer,) = found.answers
    assert (answer.uid, answer.attendee, answer.partstat, answer.sequence) == (
        "abc@facilitator", "ann@home.example", "ACCEPTED", 3)
    assert answer.recurrence_id.isoformat() == "2025-03-04T10:00:00+00:00"
    assert answer.stamp.isoformat() == "2025-02-26T09:15:00+00:00"


@pytest.mark.parametrize("partstat", ["NEEDS-ACTION", "DELEGATED", "X-UNKNOWN"])
def test_answers_other_than_accept_decline_tentative_are_counted_not_kept(partstat):
    found = read_message(email_with(calendar(partstat=partstat)), OWN)
    assert found.answers == [] and found.ignored == {"other_answer": 1} and found.skipped is None


def test_a_sequence_that_is_no_number_makes_the_calendar_malformed():
    assert read_message(email_with(calendar(extra="SEQUENCE:many\r\n")), OWN).skipped == "malformed"


@pytest.mark.parametrize(("value", "expected"), [
    ("mailto:Mòrag@Dùn.Example", "mòrag@xn--dn-oka.example"),
    ("MAILTO:ann@HOME.example", "ann@home.example"),
    ("ann@home.example", "ann@home.example"),
    ("mailto:", ""),
    ("not an address", ""),
])
def test_addresses_are_compared_in_one_form(value, expected):
    assert normalise_address(value) == expected
