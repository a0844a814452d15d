"""Four independent readers of a calendar, each answering with the problems it finds.

- ``icalendar``: parsed, ``validate()``d, every TZID declared, no parse errors kept on the side;
- ``vobject``: ``readOne(validate=True)``;
- ``ical.js``: ``ICAL.parse``, ``new ICAL.Component`` and ``ICAL.Event`` for each VEVENT (UID,
  DTSTAMP, start, end), and its own write and re-read must change nothing. One Node.js process per
  pytest worker (``tests/oracles/icaljs_check.cjs``, ical.js pinned in its package-lock.json and
  installed by ``make install``) reads each batch of texts;
- ``libical``: ``icalparser_parse_string`` then ``icalrestriction_check``, libical's table of the
  properties each iTIP METHOD requires or forbids (RFC 5546), through ctypes on ``libical.so.3``
  (Debian's ``libical-dev``, installed by ``make system-deps``).

A missing Node.js, ical.js or libical is an error, never a skip: an oracle that is not there
would pass every calendar.

Two of them also expand a calendar into its occurrences (RRULE, EXDATE, RECURRENCE-ID overrides,
each in the calendar's own VTIMEZONE), independently of the app's own rule code:
``recurring_ical_events`` (on icalendar and dateutil) and ical.js (``Oracles.expand``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import recurring_ical_events
import vobject

ORACLE_DIR = Path(__file__).resolve().parents[1] / "oracles"
ICALJS_SCRIPT = ORACLE_DIR / "icaljs_check.cjs"
INSTALL_HINT = "run `make install system-deps` (npm ci in tests/oracles, Debian's libical-dev, Node.js)"


def read_icalendar(ics: bytes) -> icalendar.Calendar:
    """The strict icalendar read every calendar test uses (raises on any problem)."""
    cal = icalendar.Calendar.from_ical(ics)
    cal.validate()
    missing = cal.get_missing_tzids()
    assert missing == set(), f"TZIDs without a VTIMEZONE: {sorted(missing)}"
    assert cal.errors == [], cal.errors
    for component in cal.walk():
        assert component.errors == [], component.errors
    return cal


def read_vobject(ics: bytes) -> Any:
    return vobject.readOne(ics.decode("utf-8"), validate=True)


def _problems_when_reading(read: Callable[[bytes], Any], ics: bytes) -> list[str]:
    try:
        read(ics)
    except Exception as exc:  # noqa: BLE001 - any failure to read is the verdict
        return [f"{type(exc).__name__}: {exc}".strip()]
    return []


class Libical:
    """libical's parser and iTIP restriction check, through ctypes."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("ical")
        if name is None:
            raise RuntimeError(f"libical (libical.so.3) is not installed: {INSTALL_HINT}")
        lib = ctypes.CDLL(name)
        pointer = ctypes.c_void_p
        for function, restype, argtypes in [
            ("icalparser_parse_string", pointer, [ctypes.c_char_p]),
            ("icalrestriction_check", ctypes.c_int, [pointer]),
            ("icalcomponent_isa", ctypes.c_int, [pointer]),
            ("icalcomponent_free", None, [pointer]),
            ("icalcomponent_get_first_component", pointer, [pointer, ctypes.c_int]),
            ("icalcomponent_get_next_component", pointer, [pointer, ctypes.c_int]),
            ("icalcomponent_get_first_property", pointer, [pointer, ctypes.c_int]),
            ("icalcomponent_get_next_property", pointer, [pointer, ctypes.c_int]),
            ("icalcomponent_string_to_kind", ctypes.c_int, [ctypes.c_char_p]),
            ("icalproperty_string_to_kind", ctypes.c_int, [ctypes.c_char_p]),
            ("icalproperty_get_xlicerror", ctypes.c_char_p, [pointer]),
            ("icalerror_set_errors_are_fatal", None, [ctypes.c_int]),
        ]:
            getattr(lib, function).restype = restype
            getattr(lib, function).argtypes = argtypes
        lib.icalerror_set_errors_are_fatal(0)  # a bad calendar must be an answer, not an abort
        self._lib = lib
        self._any = 1  # ICAL_ANY_COMPONENT
        self._vcalendar = lib.icalcomponent_string_to_kind(b"VCALENDAR")
        self._error = lib.icalproperty_string_to_kind(b"X-LIC-ERROR")

    def problems(self, ics: bytes) -> list[str]:
        if b"\x00" in ics:
            return ["the text holds a NUL byte"]
        lib = self._lib
        root = lib.icalparser_parse_string(ics)
        if not root:
            return ["icalparser_parse_string found no component"]
        try:
            if lib.icalcomponent_isa(root) != self._vcalendar:
                return ["the text is not exactly one VCALENDAR"] + self._errors(root)
            lib.icalrestriction_check(root)  # adds an X-LIC-ERROR for each broken restriction
            return self._errors(root)
        finally:
            lib.icalcomponent_free(root)

    def _errors(self, component: int) -> list[str]:
        """Every X-LIC-ERROR (from the parser or the restriction check) in the tree."""
        lib = self._lib
        found: list[str] = []
        prop = lib.icalcomponent_get_first_property(component, self._error)
        while prop:
            found.append((lib.icalproperty_get_xlicerror(prop) or b"").decode("utf-8", "replace"))
            prop = lib.icalcomponent_get_next_property(component, self._error)
        child = lib.icalcomponent_get_first_component(component, self._any)
        while child:
            found.extend(self._errors(child))
            child = lib.icalcomponent_get_next_component(component, self._any)
        return found


class IcalJs:
    """One long-lived ``node`` process reading batches of texts with ical.js."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[str] | None = None
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - kept as long as node runs

    def _started(self) -> subprocess.Popen[str]:
        if self._process is None or self._process.poll() is not None:
            try:
                self._process = subprocess.Popen(
                    ["node", str(ICALJS_SCRIPT)], cwd=ORACLE_DIR, stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=self._stderr, text=True, encoding="utf-8")
            except FileNotFoundError as exc:
                raise RuntimeError(f"Node.js is not installed: {INSTALL_HINT}") from exc
        return self._process

    def problems(self, texts: list[str]) -> list[list[str]]:
        return self._ask(texts) if texts else []

    def expand(self, texts: list[str]) -> list[dict[str, Any]]:
        """Per text, ``{"occurrences": [[start, end], ...]}`` (UTC, ISO) or ``{"error": ...}``."""
        return self._ask({"expand": texts}) if texts else []

    def _ask(self, question: object) -> Any:
        process = self._started()
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(json.dumps(question) + "\n")
            process.stdin.flush()
            answer = process.stdout.readline()
        except BrokenPipeError:
            answer = ""
        if not answer:
            process.wait(timeout=5)
            self._stderr.seek(0)
            raise RuntimeError(f"ical.js stopped ({INSTALL_HINT}): {self._stderr.read()[-2000:]}")
        return json.loads(answer)

    def close(self) -> None:
        if self._process is not None:
            for pipe in (self._process.stdin, self._process.stdout):
                if pipe is not None:
                    pipe.close()  # node ends when its input does
            self._process.wait(timeout=5)
            self._process = None
        self._stderr.close()


class Oracles:
    """All four readers, each text read once per pytest process (verdicts are kept by content)."""

    NAMES = ("icalendar", "vobject", "ical.js", "libical")

    def __init__(self) -> None:
        self._icaljs = IcalJs()
        self._libical: Libical | None = None
        self._verdicts: dict[bytes, dict[str, list[str]]] = {}

    def check(self, texts: Iterable[bytes]) -> dict[bytes, dict[str, list[str]]]:
        """For each text: the readers that found problems, with those problems."""
        wanted = list(dict.fromkeys(texts))
        new = [text for text in wanted if text not in self._verdicts]
        if new:
            self._read(new)
        return {text: self._verdicts[text] for text in wanted}

    def _read(self, texts: list[bytes]) -> None:
        if self._libical is None:
            self._libical = Libical()
        decoded: dict[bytes, str] = {}
        for text in texts:
            verdict = {
                "icalendar": _problems_when_reading(read_icalendar, text),
                "vobject": _problems_when_reading(read_vobject, text),
                "libical": self._libical.problems(text),
            }
            try:
                decoded[text] = text.decode("utf-8")
            except UnicodeDecodeError as exc:
                verdict["ical.js"] = [f"not UTF-8: {exc}"]
            self._verdicts[text] = verdict
        for text, problems in zip(decoded, self._icaljs.problems(list(decoded.values())), strict=True):
            self._verdicts[text]["ical.js"] = problems
        for verdict in (self._verdicts[text] for text in texts):
            for name in [name for name, problems in verdict.items() if not problems]:
                del verdict[name]

    def expand(self, ics: bytes) -> dict[str, list[tuple[str, str]]]:
        """The occurrences of every event in ``ics`` as each expanding reader computes them:
        reader name -> sorted [(start, end)] in UTC, ISO 8601 with ``Z``."""
        (answer,) = self._icaljs.expand([ics.decode("utf-8")])
        assert "error" not in answer, f"ical.js could not expand the calendar: {answer['error']}"
        return {"recurring_ical_events": expand_with_recurring_ical_events(ics),
                "ical.js": [tuple(pair) for pair in answer["occurrences"]]}

    def close(self) -> None:
        self._icaljs.close()


def _utc_text(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def expand_with_recurring_ical_events(ics: bytes) -> list[tuple[str, str]]:
    """Every occurrence (recurring_ical_events, through year 2100), as (start, end) in UTC."""
    calendar = icalendar.Calendar.from_ical(ics)
    events = recurring_ical_events.of(calendar).between(datetime(1970, 1, 1), datetime(2100, 1, 1))
    return sorted((_utc_text(e["DTSTART"].dt), _utc_text(e["DTEND"].dt)) for e in events)
