"""A small lint for what iCalendar parsers do not check.

Parsers accept injected lines (they are valid syntax), bare LF, over-long lines and
missing iTIP properties. This lint reads the raw bytes and reports those problems as
human-readable strings; an empty list means clean. It is used by the tests and can
gate a feed before it is served.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

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


@dataclass
class _Prop:
    name: str
    params: dict[str, list[str]]
    value: str


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


def _split_params(head: str) -> tuple[str, dict[str, list[str]]]:
    parts = re.findall(r'(?:"[^"]*"|[^;])+', head)
    name = parts[0].upper() if parts else ""
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        values = re.findall(r'"[^"]*"|[^,]+', value)
        params[key.upper()] = [v.strip('"') for v in values]
    return name, params


def _parse_line(line: str) -> _Prop | None:
    """Split ``NAME;PARAM=..:value`` at the first colon outside quotes."""
    match = re.match(r'^((?:"[^"]*"|[^":])*):(.*)$', line, re.DOTALL)
    if not match:
        return None
    name, params = _split_params(match.group(1))
    return _Prop(name, params, match.group(2))


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


def _event(event: _Comp, method: str | None, problems: list[str]) -> None:
    uid = event.first("UID") or "?"
    where = f"VEVENT {uid}"
    for name in SINGLETONS:
        if len(event.all(name)) > 1:
            problems.append(f"{where}: more than one {name}")
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
    if organizer and organizer in {p.value.lower() for p in event.all("ATTENDEE")}:
        problems.append(f"{where}: ORGANIZER is also an ATTENDEE")
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
    if method == "CANCEL":
        if status != "CANCELLED":
            problems.append(f"{where}: CANCEL requires STATUS:CANCELLED")
        if has_alarm:
            problems.append(f"{where}: CANCEL must not carry a VALARM")
    if method == "PUBLISH" and event.all("ATTENDEE"):
        problems.append(f"{where}: PUBLISH must not carry ATTENDEE")


def _scheduling_uids(cal: _Comp, method: str | None, problems: list[str]) -> None:
    events = [c for c in cal.children if c.name == "VEVENT"]
    # An empty PUBLISH is fine: a home's feed before its first session.
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
