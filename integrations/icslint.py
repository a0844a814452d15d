"""A small lint for what iCalendar parsers do not check.

Parsers accept injected lines (they are valid syntax), bare LF, over-long lines and
missing iTIP properties. This lint reads the raw bytes and reports those problems as
human-readable strings; an empty list means clean. It is used by the tests and can
gate a feed before it is served.

It also checks what some parsers catch and others do not, so a file is refused here before
any client sees it: an impossible date-time, DTEND not after DTSTART or of another value
type, a floating (zone-less) event time, a non-integer SEQUENCE, a parameter split by an
unquoted ``;`` or ``,``, a VCALENDAR with no component, and a scheduling message (REQUEST,
CANCEL) with more than one ATTENDEE: ours are always for exactly one recipient.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["check_sequence_rises", "lint"]

MAX_OCTETS = 75
TEXT_PROPERTIES = frozenset(
    {"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "NAME", "X-WR-CALNAME", "X-WR-CALDESC"}
)
# RFC 5546 §3.2: VEVENT properties that must be present, per METHOD.
REQUIRED = {
    "REQUEST": ("ATTENDEE", "DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"),
    "CANCEL": ("ATTENDEE", "DTSTAMP", "ORGANIZER", "SEQUENCE", "UID"),
    "PUBLISH": ("DTSTAMP", "DTSTART", "ORGANIZER", "SUMMARY", "UID"),
}
SINGLETONS = (
    "UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SEQUENCE", "SUMMARY",
    "DESCRIPTION", "LOCATION", "STATUS", "ORGANIZER", "URL",
)  # fmt: skip
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_UTC_DATETIME = re.compile(r"^\d{8}T\d{6}Z$")
_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_DATE_TIME = re.compile(r"^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# VEVENT properties holding one DATE or DATE-TIME, and those holding an INTEGER.
WHEN_PROPERTIES = ("DTSTART", "DTEND", "DTSTAMP", "RECURRENCE-ID", "CREATED", "LAST-MODIFIED")
INTEGER_PROPERTIES = ("SEQUENCE", "PRIORITY")
# Parameters that hold one value: a second one is an unquoted comma (RFC 5545 §3.2).
SINGLE_VALUED_PARAMS = frozenset({"CN", "ROLE", "PARTSTAT", "RSVP", "VALUE", "TZID", "CUTYPE"})


@dataclass
class _Prop:
    name: str
    params: dict[str, list[str]]
    value: str
    bare_params: list[str] = field(default_factory=list)  # parameter parts with no "="


@dataclass(frozen=True)
class _When:
    """A DATE or DATE-TIME value: ``moment`` is aware for UTC or a known TZID, naive if floating."""

    kind: str
    moment: date | datetime
    floating: bool


@dataclass
class _Comp:
    name: str
    props: list[_Prop] = field(default_factory=list)
    children: list[_Comp] = field(default_factory=list)

    def all(self, name: str) -> list[_Prop]:
        return [p for p in self.props if p.name == name]

    def first(self, name: str) -> str | None:
        found = self.all(name)
        return found[0].value if found else None


# ------------------------------------------------------------------- raw layer


def _physical_lines(data: bytes, problems: list[str]) -> list[bytes]:
    """Split on CRLF, reporting bare LF, stray CR, long lines and split UTF-8."""
    if not data.endswith(b"\r\n"):
        problems.append("file does not end with CRLF")
    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()
    for number, line in enumerate(lines, 1):
        if b"\n" in line:
            problems.append(f"line {number}: bare LF (line ends must be CRLF)")
        if b"\r" in line:
            problems.append(f"line {number}: stray CR")
        if len(line) > MAX_OCTETS:
            problems.append(f"line {number}: {len(line)} octets (max {MAX_OCTETS})")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number}: not UTF-8 or a fold splits a character")
    return lines


def _unfold(lines: list[bytes]) -> list[str]:
    logical: list[bytes] = []
    for line in lines:
        if line[:1] in (b" ", b"\t") and logical:
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return [raw.decode("utf-8", errors="replace") for raw in logical]


def _split_params(head: str) -> tuple[str, dict[str, list[str]], list[str]]:
    parts = re.findall(r'(?:"[^"]*"|[^;])+', head)
    name = parts[0].upper() if parts else ""
    params: dict[str, list[str]] = {}
    bare: list[str] = []
    for part in parts[1:]:
        key, equals, value = part.partition("=")
        if not equals:
            bare.append(part)
            continue
        values = re.findall(r'"[^"]*"|[^,]+', value)
        params[key.upper()] = [v.strip('"') for v in values]
    return name, params, bare


def _parse_line(line: str) -> _Prop | None:
    """Split ``NAME;PARAM=..:value`` at the first colon outside quotes."""
    match = re.match(r'^((?:"[^"]*"|[^":])*):(.*)$', line, re.DOTALL)
    if not match:
        return None
    name, params, bare = _split_params(match.group(1))
    return _Prop(name, params, match.group(2), bare)


def _tree(lines: list[str], problems: list[str]) -> list[_Comp]:
    roots: list[_Comp] = []
    stack: list[_Comp] = []
    for line in lines:
        prop = _parse_line(line)
        if prop is None or not prop.name:
            problems.append(f"unparseable content line: {line[:40]!r}")
            continue
        if _CONTROL.search(prop.value):
            problems.append(f"{prop.name}: control character in value")
        _check_params(prop, problems)
        if prop.name == "BEGIN":
            comp = _Comp(prop.value.upper())
            (stack[-1].children if stack else roots).append(comp)
            stack.append(comp)
        elif prop.name == "END":
            if not stack or stack[-1].name != prop.value.upper():
                problems.append(f"END:{prop.value} does not close an open component")
            else:
                stack.pop()
        elif stack:
            stack[-1].props.append(prop)
        else:
            problems.append(f"{prop.name} outside any component")
    for comp in stack:
        problems.append(f"BEGIN:{comp.name} is never closed")
    return roots


def _walk(comp: _Comp) -> Iterable[_Comp]:
    yield comp
    for child in comp.children:
        yield from _walk(child)


def _check_params(prop: _Prop, problems: list[str]) -> None:
    for part in prop.bare_params:
        problems.append(f"{prop.name}: parameter {part!r} has no '=' (an unquoted ';' in a parameter value?)")
    for key, values in prop.params.items():
        if key in SINGLE_VALUED_PARAMS and len(values) > 1:
            problems.append(f"{prop.name}: {key} has {len(values)} values (an unquoted ',' in it?)")


# ----------------------------------------------------------------- semantic layer


def _text_escaping(comp: _Comp, problems: list[str]) -> None:
    """TEXT values must escape ``,`` ``;`` ``\\``; only ``\\n \\N \\, \\; \\\\`` are legal."""
    for prop in comp.props:
        if prop.name not in TEXT_PROPERTIES:
            continue
        escaped = False
        for char in prop.value:
            if escaped:
                if char not in "\\;,nN":
                    problems.append(f"{prop.name}: invalid escape \\{char}")
                escaped = False
            elif char == "\\":
                escaped = True
            elif char in ",;":
                problems.append(f"{prop.name}: unescaped {char!r} in TEXT value")
        if escaped:
            problems.append(f"{prop.name}: dangling backslash")


def _calendar_props(cal: _Comp, expected: str | None, problems: list[str]) -> str | None:
    for name in ("VERSION", "PRODID"):
        if len(cal.all(name)) != 1:
            problems.append(f"VCALENDAR must have exactly one {name}")
    if cal.first("VERSION") not in (None, "2.0"):
        problems.append("VERSION must be 2.0")
    methods = cal.all("METHOD")
    if len(methods) > 1:
        problems.append("more than one METHOD")
    method = methods[0].value.upper() if methods else None
    if expected is not None and (method or "") != expected.upper():
        problems.append(f"METHOD is {method!r}, expected {expected.upper()!r}")
    return method


def _tzids(cal: _Comp, problems: list[str]) -> None:
    declared = {(c.first("TZID") or "") for c in _walk(cal) if c.name == "VTIMEZONE"}
    for comp in _walk(cal):
        for prop in comp.props:
            for tzid in prop.params.get("TZID", []):
                if tzid not in declared:
                    problems.append(f"{prop.name}: TZID {tzid!r} has no VTIMEZONE")


def _when(prop: _Prop, where: str, problems: list[str]) -> _When | None:
    """Read a DATE or DATE-TIME value, reporting one that names no real moment."""
    kind = (prop.params.get("VALUE") or ["DATE-TIME"])[0].upper()
    match = (_DATE if kind == "DATE" else _DATE_TIME).match(prop.value)
    try:
        if match is None:
            raise ValueError(prop.value)
        numbers = [int(n) for n in match.groups()[:6]]
        if kind == "DATE":
            return _When(kind, date(*numbers), floating=False)
        numbers[5] = min(numbers[5], 59)  # a leap second (:60) is valid and rounds down
        moment = datetime(*numbers)  # type: ignore[arg-type]
    except ValueError:
        problems.append(f"{where}: {prop.name}: {prop.value!r} is not a valid {kind}")
        return None
    tzids = prop.params.get("TZID")
    if match.group(7):
        return _When(kind, moment.replace(tzinfo=UTC), floating=False)
    if not tzids:
        return _When(kind, moment, floating=True)
    try:
        return _When(kind, moment.replace(tzinfo=ZoneInfo(tzids[0])), floating=False)
    except (ZoneInfoNotFoundError, ValueError):
        return _When(kind, moment, floating=False)  # a custom VTIMEZONE: the moment stays local


def _times(event: _Comp, where: str, problems: list[str]) -> None:
    """Every date-time real, event times anchored (UTC or a TZID), DTEND after DTSTART, same type."""
    found: dict[str, _When] = {}
    for name in WHEN_PROPERTIES:
        for prop in event.all(name):
            when = _when(prop, where, problems)
            if when is not None:
                found.setdefault(name, when)
    for name in ("DTSTART", "DTEND"):
        if name in found and found[name].kind == "DATE-TIME" and found[name].floating:
            problems.append(f"{where}: {name} is a floating time (no Z and no TZID)")
    start, end = found.get("DTSTART"), found.get("DTEND")
    if start is None or end is None:
        return
    if start.kind != end.kind:
        problems.append(f"{where}: DTEND is a {end.kind} but DTSTART a {start.kind}")
        return
    comparable = isinstance(start.moment, datetime) == isinstance(end.moment, datetime) and (
        not isinstance(start.moment, datetime)
        or (start.moment.tzinfo is None) == (end.moment.tzinfo is None))  # type: ignore[union-attr]
    if comparable and end.moment <= start.moment:  # type: ignore[operator]
        problems.append(f"{where}: DTEND is not after DTSTART")


def _integers(event: _Comp, where: str, problems: list[str]) -> None:
    for name in INTEGER_PROPERTIES:
        for prop in event.all(name):
            if not _INTEGER.match(prop.value.strip()):
                problems.append(f"{where}: {name} is not an integer: {prop.value!r}")
            elif name == "SEQUENCE" and int(prop.value) < 0:
                problems.append(f"{where}: SEQUENCE is negative")


def _event(event: _Comp, method: str | None, problems: list[str]) -> None:
    uid = event.first("UID") or "?"
    where = f"VEVENT {uid}"
    for name in SINGLETONS:
        if len(event.all(name)) > 1:
            problems.append(f"{where}: more than one {name}")
    _times(event, where, problems)
    _integers(event, where, problems)
    if event.all("DTEND") and event.all("DURATION"):
        problems.append(f"{where}: both DTEND and DURATION")
    stamp = event.first("DTSTAMP")
    if stamp is not None and not _UTC_DATETIME.match(stamp):
        problems.append(f"{where}: DTSTAMP must be a UTC date-time")
    for name in ("ORGANIZER", "ATTENDEE"):
        for prop in event.all(name):
            if not prop.value.lower().startswith("mailto:"):
                problems.append(f"{where}: {name} is not a mailto: address")
    organizer = (event.first("ORGANIZER") or "").lower()
    attendees = [p.value.lower() for p in event.all("ATTENDEE")]
    if organizer and organizer in attendees:
        problems.append(f"{where}: ORGANIZER is also an ATTENDEE")
    for address in sorted({a for a in attendees if attendees.count(a) > 1}):
        problems.append(f"{where}: ATTENDEE {address} appears more than once")
    if method in REQUIRED:
        _method_rules(event, method, where, problems)


def _method_rules(event: _Comp, method: str, where: str, problems: list[str]) -> None:
    for name in REQUIRED[method]:
        if not event.all(name):
            problems.append(f"{where}: {method} requires {name}")
    status = (event.first("STATUS") or "").upper()
    has_alarm = any(c.name == "VALARM" for c in event.children)
    if method == "REQUEST" and status not in ("", "TENTATIVE", "CONFIRMED"):
        problems.append(f"{where}: REQUEST with STATUS:{status} (use METHOD:CANCEL)")
    attendees = event.all("ATTENDEE")
    if method in ("REQUEST", "CANCEL") and len(attendees) > 1:
        problems.append(f"{where}: {method} carries more than one ATTENDEE (ours are for one recipient)")
    if method == "CANCEL":
        if any(v.upper() == "TRUE" for p in attendees for v in p.params.get("RSVP", [])):
            problems.append(f"{where}: CANCEL asks for a reply (RSVP=TRUE)")
        if status != "CANCELLED":
            problems.append(f"{where}: CANCEL requires STATUS:CANCELLED")
        if has_alarm:
            problems.append(f"{where}: CANCEL must not carry a VALARM")
    if method == "PUBLISH" and event.all("ATTENDEE"):
        problems.append(f"{where}: PUBLISH must not carry ATTENDEE")


def _scheduling_uids(cal: _Comp, method: str | None, problems: list[str]) -> None:
    events = [c for c in cal.children if c.name == "VEVENT"]
    if not cal.children:
        # A home's feed before its first session carries its zone's VTIMEZONE instead.
        problems.append("VCALENDAR has no component (RFC 5545 §3.6 needs at least one)")
    if method in ("REQUEST", "CANCEL") and not events:
        problems.append(f"{method} carries no VEVENT")
    if method in ("REQUEST", "CANCEL") and len({e.first("UID") for e in events}) > 1:
        problems.append(f"{method} mixes several UIDs")


def _parse(data: bytes, problems: list[str]) -> list[_Comp]:
    lines = _unfold(_physical_lines(data, problems))
    return _tree(lines, problems)


# ------------------------------------------------------------------------ public


def lint(ics: bytes, *, expected_method: str | None = None) -> list[str]:
    """Return the problems found in one serialised VCALENDAR (empty means clean).

    ``expected_method`` is the MIME ``method=`` parameter the object travels with;
    it must equal the body's METHOD.
    """
    problems: list[str] = []
    roots = _parse(ics, problems)
    calendars = [c for c in roots if c.name == "VCALENDAR"]
    if len(roots) != 1 or len(calendars) != 1:
        problems.append(f"expected exactly one VCALENDAR, found {len(roots)} top-level")
    for cal in calendars:
        method = _calendar_props(cal, expected_method, problems)
        _tzids(cal, problems)
        _scheduling_uids(cal, method, problems)
        for comp in _walk(cal):
            _text_escaping(comp, problems)
        for event in (c for c in cal.children if c.name == "VEVENT"):
            _event(event, method, problems)
    return problems


def _sequences(ics: bytes) -> list[tuple[str, int | None]]:
    found: list[tuple[str, int | None]] = []
    for root in _parse(ics, []):
        for event in (c for c in _walk(root) if c.name == "VEVENT"):
            raw = event.first("SEQUENCE") or "0"
            found.append((event.first("UID") or "?", int(raw) if raw.isdigit() else None))
    return found


def check_sequence_rises(objects: Iterable[bytes]) -> list[str]:
    """Check SEQUENCE strictly rises per UID across objects given in send order.

    Pass one recipient's messages (or successive feed builds where the event
    changed); two sends of the same UID at the same SEQUENCE are reported, because a
    client keeps the first and ignores the second.
    """
    problems: list[str] = []
    last: dict[str, int] = {}
    for index, ics in enumerate(objects):
        for uid, sequence in _sequences(ics):
            if sequence is None:
                problems.append(f"object {index}: {uid}: SEQUENCE is not an integer")
                continue
            if uid in last and sequence <= last[uid]:
                problems.append(f"object {index}: {uid}: SEQUENCE {sequence} does not rise above {last[uid]}")
            last[uid] = sequence
    return problems
