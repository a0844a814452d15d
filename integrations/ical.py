"""Build iCalendar objects (RFC 5545/5546) for invites, cancellations and feeds.

Everything goes through the ``icalendar`` library; nothing is assembled by string
concatenation. All times of a single event are written in UTC (``Z``) so it needs no VTIMEZONE
and Outlook's "list of dates" VTIMEZONE problem cannot occur; only an empty feed carries one (of
the configured zone, a few years long), because RFC 5545 §3.6 wants at least one component and
a VTIMEZONE is one that no client shows. A series (``integrations.ical_series``) is the
exception: a rule must repeat in local time, so it carries its zone as yearly rules, built from
the pieces here (``vevent_of``, ``add_attendee``, ``new_calendar``, ``reminder_alarm``).
User text is cleaned with :func:`clean_text` before it reaches the library, because the library
writes some properties (``NAME``, ``X-WR-CALNAME``, plain-string ``X-`` values) unescaped;
calendar names are cleaned further by :func:`calendar_name`. Addresses go out with IDN domains as punycode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Alarm, Calendar, Component, Event, Timezone, vCalAddress, vDuration, vText, vUri

from integrations.addresses import wire_address

__all__ = [
    "DEFAULT_PRODID",
    "REFRESH_INTERVAL",
    "REMINDER_BEFORE",
    "Attendee",
    "EventData",
    "add_attendee",
    "aware_now",
    "build_cancel",
    "build_download",
    "build_feed",
    "build_request",
    "calendar_name",
    "clean_param",
    "clean_text",
    "new_calendar",
    "reminder_alarm",
    "vevent_of",
]

DEFAULT_PRODID = "-//Facilitator//Peer Support Sessions//EN"
REMINDER_BEFORE = timedelta(minutes=30)
REFRESH_INTERVAL = timedelta(hours=1)
STATUSES = frozenset({"CONFIRMED", "CANCELLED"})

# C0 controls, DEL, C1 controls (U+0085 NEL is a line break to some parsers) and the
# Unicode line/paragraph separators (str.splitlines and some clients break on them).
_BREAKS = re.compile("\r\n|[\r\n\u0085\u2028\u2029]")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile("[ \t]+")
# Characters a TEXT value escapes: ical.js and icalendar show the backslash of an escaped NAME
# or X-WR-CALNAME, so a calendar name carries none of them.
_NAME_ESCAPES = str.maketrans({",": " ", ";": " ", "\\": "/"})
VTIMEZONE_YEARS = 3


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Attendee:
    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class EventData:
    """One session as it appears in a calendar.

    ``start``/``end`` must be timezone-aware (any zone; they are written in UTC).
    ``sequence`` is owned by the server and must rise on every change that is sent.
    """

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str
    location_url: str | None
    organizer_email: str
    organizer_name: str
    status: str = "CONFIRMED"

    def __post_init__(self) -> None:
        for label, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is None or value.utcoffset() is None:
                raise ValueError(f"EventData.{label} must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("EventData.end must be after start")
        if self.status not in STATUSES:
            raise ValueError(f"EventData.status must be one of {sorted(STATUSES)}")
        if self.sequence < 0:
            raise ValueError("EventData.sequence must be >= 0")
        if not self.uid or _BREAKS.search(self.uid) or _CONTROLS.search(self.uid):
            raise ValueError("EventData.uid must be a non-empty single line")


# --------------------------------------------------------------------------- text


def clean_text(s: str | None, *, multiline: bool = False) -> str:
    """Remove control characters from user text before it reaches the library.

    Single-line fields (titles, names): every line break and tab becomes one space.
    ``multiline`` fields (descriptions): CRLF, lone CR and Unicode separators become
    ``\\n`` (the library escapes that as ``\\n``), tabs are kept. Other C0/C1 controls
    are dropped in both cases, so a lone CR can never reach the output.
    """
    if not s:
        return ""
    if multiline:
        text = _BREAKS.sub("\n", s)
        return _CONTROLS.sub("", text).strip()
    text = _BREAKS.sub(" ", s).replace("\t", " ")
    text = _CONTROLS.sub("", text)
    return _SPACES.sub(" ", text).strip()


def clean_param(s: str | None) -> str:
    """Clean a parameter value such as ``CN``.

    Parameter values cannot hold ``"``; the library encodes it (and ``^``) per
    RFC 6868 as ``^'``/``^^``, which Outlook and vobject show literally. A name is
    better served by an apostrophe, and ``^`` is dropped.
    """
    return clean_text(s).replace('"', "'").replace("^", "")


def calendar_name(s: str | None) -> str:
    """A calendar's ``NAME``/``X-WR-CALNAME``: one clean line with nothing to escape.

    ``,`` and ``;`` become spaces and ``\\`` a ``/``, so "Taigh na Mara, Lewis" reads
    "Taigh na Mara Lewis" in every client instead of "Taigh na Mara\\, Lewis" in some.
    """
    return _SPACES.sub(" ", clean_text(s).translate(_NAME_ESCAPES)).strip()


# ------------------------------------------------------------------------ helpers


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _mailto(email: str) -> str:
    address = email.strip()
    if not address or _BREAKS.search(address) or _CONTROLS.search(address) or " " in address:
        raise ValueError(f"invalid email address: {email!r}")
    return f"mailto:{wire_address(address)}"


def _cal_address(email: str, name: str, **params: str) -> vCalAddress:
    address = vCalAddress(_mailto(email))
    cn = clean_param(name)
    if cn:
        address.params["CN"] = cn
    for key, value in params.items():
        address.params[key] = value
    return address


def new_calendar(method: str, prodid: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", clean_text(prodid))
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    return cal


def _description(event: EventData) -> str:
    """The description always carries the recipient's own join link."""
    text = clean_text(event.description, multiline=True)
    link = event.location_url
    if link and link not in text:
        text = f"{text}\n\nJoin: {link}" if text else f"Join: {link}"
    return text


def reminder_alarm(summary: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Reminder: {summary}" if summary else "Reminder")
    alarm.add("trigger", -REMINDER_BEFORE)
    return alarm


def vevent_of(event: EventData, now: datetime, status: str) -> Event:
    """The properties shared by every method (no ATTENDEE, no VALARM)."""
    summary = clean_text(event.summary)
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _utc(now))
    vevent.add("dtstart", _utc(event.start))
    vevent.add("dtend", _utc(event.end))
    vevent.add("summary", summary)
    vevent.add("description", _description(event))
    if event.location_url:
        vevent.add("location", event.location_url)
        vevent.add("url", vUri(event.location_url))
    vevent.add("organizer", _cal_address(event.organizer_email, event.organizer_name))
    vevent.add("status", status)
    return vevent


def add_attendee(vevent: Event, event: EventData, attendee: Attendee, *, rsvp: bool) -> None:
    """The one recipient; ``rsvp`` asks for a reply (a REQUEST), which a CANCEL never does."""
    if _mailto(attendee.email).lower() == _mailto(event.organizer_email).lower():
        raise ValueError("the organizer must never be one of the recipients")
    params = {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION"}
    if rsvp:
        params["RSVP"] = "TRUE"
    vevent.add("attendee", _cal_address(attendee.email, attendee.name, **params))


def _vtimezone(zone: str, now: datetime) -> Timezone:
    """The zone's rules from the start of this year, a few years on (short and finite)."""
    first = date(now.year, 1, 1)
    return Timezone.from_tzid(zone, first_date=first, last_date=date(now.year + VTIMEZONE_YEARS, 1, 1))


def aware_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now


# -------------------------------------------------------------------------- build


def build_request(
    event: EventData,
    attendee: Attendee,
    *,
    prodid: str = DEFAULT_PRODID,
    now: datetime | None = None,
) -> bytes:
    """A ``METHOD:REQUEST`` for one recipient (new invite, reschedule or rename)."""
    if event.status != "CONFIRMED":
        # REQUEST + STATUS:CANCELLED leaves the event in every client; use build_cancel.
        raise ValueError("a cancelled event must be sent with build_cancel")
    cal = new_calendar("REQUEST", prodid)
    vevent = vevent_of(event, aware_now(now), "CONFIRMED")
    add_attendee(vevent, event, attendee, rsvp=True)
    vevent.add_component(reminder_alarm(clean_text(event.summary)))
    cal.add_component(vevent)
    return cal.to_ical()


def build_cancel(
    event: EventData,
    attendee: Attendee,
    *,
    prodid: str = DEFAULT_PRODID,
    now: datetime | None = None,
) -> bytes:
    """A ``METHOD:CANCEL`` for one recipient; ``event.sequence`` must already be raised."""
    cal = new_calendar("CANCEL", prodid)
    vevent = vevent_of(event, aware_now(now), "CANCELLED")
    add_attendee(vevent, event, attendee, rsvp=False)
    cal.add_component(vevent)
    return cal.to_ical()


def build_feed(
    name: str,
    events: Iterable[EventData],
    *,
    prodid: str = DEFAULT_PRODID,
    now: datetime | None = None,
    timezone: str = "UTC",
    extra: Iterable[Component] = (),
) -> bytes:
    """A ``METHOD:PUBLISH`` subscription feed; cancelled events stay as CANCELLED.

    ``extra``: components built elsewhere (a series' VTIMEZONE, master and overrides, from
    ``integrations.ical_series``), added as they are.
    A feed with no event carries the VTIMEZONE of ``timezone`` (the configured zone), so it is
    still a calendar with a component, which RFC 5545 §3.6 requires and parsers insist on.
    """
    cal = new_calendar("PUBLISH", prodid)
    title = calendar_name(name)
    # vText: the library writes plain-str NAME / X-WR-CALNAME values unescaped.
    cal.add("name", vText(title))
    cal.add("x-wr-calname", vText(title))
    cal.add("refresh-interval", vDuration(REFRESH_INTERVAL), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    stamp = aware_now(now)
    for component in extra:
        cal.add_component(component)
    for event in events:
        cal.add_component(vevent_of(event, stamp, event.status))
    if not cal.subcomponents:
        cal.add_component(_vtimezone(timezone, stamp))
    return cal.to_ical()


def build_download(
    event: EventData,
    *,
    prodid: str = DEFAULT_PRODID,
    now: datetime | None = None,
) -> bytes:
    """A single-event ``METHOD:PUBLISH`` file for a person to download (no ATTENDEE)."""
    cal = new_calendar("PUBLISH", prodid)
    cal.add_component(vevent_of(event, aware_now(now), event.status))
    return cal.to_ical()
