"""Reading an email from the organizer mailbox: is it a calendar REPLY, and what does it say?

Plain Python (no Flask, no database): :func:`read_message` takes the raw bytes and the app's own
addresses and returns either the answers found or why the message is skipped.

* **Loops and auto-replies are skipped before anything else**: ``Auto-Submitted`` other than
  ``no`` (RFC 3834), any ``X-Autoreply``/``X-Autorespond``, ``Precedence`` bulk, junk, list or
  auto_reply, and mail from one of our own addresses. An out-of-office that quotes an invite
  carries a REQUEST, never a REPLY, but it is skipped as a loop either way.
* **A REPLY part** is a ``text/calendar`` (or ``application/ics``) part whose calendar says
  ``METHOD:REPLY`` or, when the calendar has no METHOD, whose Content-Type has ``method=REPLY``.
* **Each VEVENT** gives one :class:`Answer` per ATTENDEE with a PARTSTAT we keep (ACCEPTED,
  DECLINED, TENTATIVE); others (NEEDS-ACTION, DELEGATED) are counted as ``other_answer``.
  Outlook's ``X-MICROSOFT-CDO-*`` properties are ignored; Google's master-plus-overrides and
  Apple's lone RECURRENCE-ID component are just VEVENTs with or without RECURRENCE-ID.
* Limits keep a hostile message cheap: at most ``MAX_PARTS`` calendar parts of ``MAX_PART_BYTES``
  each and ``MAX_EVENTS`` VEVENTs in all; past them the message is skipped as ``too_large``.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import EmailMessage
from email.utils import getaddresses

from icalendar import Calendar

from integrations.addresses import ascii_domain

MAX_PARTS = 5
MAX_PART_BYTES = 256 * 1024
MAX_EVENTS = 200
KEPT = frozenset({"ACCEPTED", "DECLINED", "TENTATIVE"})
CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response")


@dataclass(frozen=True)
class Answer:
    """One attendee's answer in one VEVENT of a REPLY."""

    uid: str
    attendee: str  # normalised: lower case, IDN domain in its ASCII form
    partstat: str
    sequence: int
    recurrence_id: datetime | date | None
    stamp: datetime | None  # DTSTAMP, UTC


@dataclass
class ReadMessage:
    """What a message held: answers, or the reason it was skipped; ``ignored`` counts by reason."""

    answers: list[Answer] = field(default_factory=list)
    skipped: str | None = None
    ignored: dict[str, int] = field(default_factory=dict)

    def ignore(self, reason: str) -> None:
        self.ignored[reason] = self.ignored.get(reason, 0) + 1


def normalise_address(value: str) -> str:
    """``mailto:Mòrag@Dùn.Example`` → ``mòrag@xn--dn-oka.example``; "" when it is no address."""
    address = str(value).strip()
    if address.lower().startswith("mailto:"):
        address = address[7:]
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        return ""
    try:
        return f"{local}@{ascii_domain(domain)}".lower()
    except ValueError:
        return ""


def read_message(raw: bytes, own_addresses: frozenset[str]) -> ReadMessage:
    """The answers in ``raw``, or why it is skipped (``auto_reply``, ``loop``, ``no_reply``...)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        loop = _loop_reason(message, own_addresses)  # type: ignore[arg-type]
    except (ValueError, TypeError, IndexError, LookupError):
        return ReadMessage(skipped="malformed")
    if loop:
        return ReadMessage(skipped=loop)
    return _read_parts(message)  # type: ignore[arg-type]


def _loop_reason(message: EmailMessage, own: frozenset[str]) -> str | None:
    auto = str(message.get("Auto-Submitted", "") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return "auto_reply"
    if any(message.get(h) is not None for h in AUTOREPLY_HEADERS):
        return "auto_reply"
    if str(message.get("Precedence", "") or "").strip().lower() in BULK_PRECEDENCE:
        return "auto_reply"
    senders = {normalise_address(a) for _, a in getaddresses([str(v) for v in message.get_all("From", [])])}
    if senders & own:
        return "loop"
    return None


def _read_parts(message: EmailMessage) -> ReadMessage:
    result = ReadMessage()
    parts = [p for p in message.walk() if p.get_content_type() in CALENDAR_TYPES]
    if len(parts) > MAX_PARTS:
        return ReadMessage(skipped="too_large")
    calendars = []
    for part in parts:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or len(payload) > MAX_PART_BYTES:
            return ReadMessage(skipped="too_large" if isinstance(payload, bytes) else "malformed")
        calendars.append((str(part.get_param("method", "") or ""), payload))
    answers, malformed = [], False
    for param_method, payload in calendars:
        found = _read_calendar(payload, param_method, result)
        malformed = malformed or found is None
        answers += found or []
        if len(answers) > MAX_EVENTS:
            return ReadMessage(skipped="too_large")
    if not answers and not result.ignored:
        result.skipped = "malformed" if malformed else "no_reply"
    result.answers = answers
    return result


def _read_calendar(payload: bytes, param_method: str, result: ReadMessage) -> list[Answer] | None:
    """The answers of one calendar part; None when it cannot be read; [] when it is no REPLY."""
    try:
        calendar = Calendar.from_ical(payload)
        method = str(calendar.get("METHOD", "") or param_method).strip().upper()
        if method != "REPLY":
            return []
        events = calendar.walk("VEVENT")
        if len(events) > MAX_EVENTS:
            result.ignore("too_large")
            return []
        return [a for event in events for a in _answers(event, result)]
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _answers(event: object, result: ReadMessage) -> list[Answer]:
    uid = str(event.get("UID", "") or "").strip()  # type: ignore[attr-defined]
    if not uid or len(uid) > 255:
        result.ignore("malformed")
        return []
    sequence = int(event.get("SEQUENCE", 0) or 0)  # type: ignore[attr-defined]
    recurrence_id = _when(event.get("RECURRENCE-ID"))  # type: ignore[attr-defined]
    stamp = _when(event.get("DTSTAMP"))  # type: ignore[attr-defined]
    attendees = event.get("ATTENDEE", [])  # type: ignore[attr-defined]
    answers = []
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        partstat = str(attendee.params.get("PARTSTAT", "")).upper()
        address = normalise_address(str(attendee))
        if partstat not in KEPT or not address:
            result.ignore("other_answer")
            continue
        answers.append(Answer(uid, address, partstat, sequence, recurrence_id,
                              stamp if isinstance(stamp, datetime) and stamp.tzinfo else None))
    return answers


def _when(prop: object) -> datetime | date | None:
    """A DTSTAMP or RECURRENCE-ID: an aware datetime in UTC, a floating one as it is, or a date."""
    if prop is None:
        return None
    value = prop.dt  # type: ignore[attr-defined]
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo is not None else value
    if isinstance(value, date):
        return value
    raise ValueError("not a date or date-time")
