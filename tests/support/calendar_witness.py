"""Every calendar a test produces, collected where the test already looks, and read by the oracles.

A test's calendars are collected, without touching our code, at the boundaries where they leave
the app:

- each HTTP response with a ``text/calendar`` body (Flask's ``request_finished`` signal, so the
  test client and a browser test's server thread alike);
- each message the app's memory or file mail backend kept (read when the test's apps are put
  back, before their mail is forgotten), and each message a test SMTP server (aiosmtpd)
  received (its handler calls :func:`saw_mail`): every ``text/calendar`` and ``.ics`` part;
- each calendar the test itself reads with the shared ``parse_icalendar`` / ``parse_vobject``
  helpers (the builders' own tests).

At the end of each test (``tests/conftest.py``) all of them are read by icalendar, vobject, ical.js
and libical (``tests/support/oracles.py``), and a problem fails that test's teardown, naming the
calendar and the reader. A test that makes broken calendars on purpose says so with
``@pytest.mark.broken_calendar("why")``.
"""

from __future__ import annotations

import threading
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from flask import Flask, Response, request

from tests.support.oracles import Oracles

BROKEN_CALENDAR = "broken_calendar"
_CALENDAR_TYPES = frozenset({"text/calendar", "application/ics"})
_current: CalendarWitness | None = None


class CalendarWitness:
    """The calendars one test produced: text -> where they were seen (in order)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[bytes, list[str]] = {}

    def saw(self, ics: bytes, source: str) -> None:
        with self._lock:
            sources = self._seen.setdefault(bytes(ics), [])
            if source not in sources:
                sources.append(source)

    def saw_mail(self, raw: bytes, source: str) -> None:
        message = message_from_bytes(raw, policy=policy.default)
        label = f"{source} to {message['To']} ({message['Subject']})"
        for part in message.walk():
            if part.get_content_type() in _CALENDAR_TYPES:
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    self.saw(payload, f"{label}, {part.get_content_type()} part")

    def saw_response(self, response: Response) -> None:
        if response.mimetype != "text/calendar" or not 200 <= response.status_code < 300:
            return
        where = f"HTTP {request.method} {request.full_path.rstrip('?')}"
        if response.is_streamed:  # not read here (that would use it up): judged as empty, so it fails
            self.saw(b"", f"{where}: a streamed calendar")
            return
        self.saw(response.get_data(), f"{where} ({response.status_code})")

    def harvest(self, app: Flask) -> None:
        """The mail the app's memory or file backend kept during the test."""
        backend = app.extensions.get("mail_backend")
        for _, raw in list(getattr(backend, "sent", [])):
            self.saw_mail(raw, "memory-backend mail")
        directory = getattr(backend, "directory", None)
        if directory is not None and Path(directory).is_dir():
            for path in sorted(Path(directory).glob("*.eml")):
                self.saw_mail(path.read_bytes(), f"file-backend mail {path.name}")

    def calendars(self) -> dict[bytes, list[str]]:
        with self._lock:
            return {text: list(sources) for text, sources in self._seen.items()}

    def problems(self, oracles: Oracles) -> list[str]:
        """One line per calendar that a reader finds fault with: where it was seen, and why."""
        seen = self.calendars()
        found = []
        for text, verdict in oracles.check(seen).items():
            if verdict:
                where = "; ".join(seen[text][:3]) + (" ..." if len(seen[text]) > 3 else "")
                why = " | ".join(f"{name}: {'; '.join(problems)}" for name, problems in verdict.items())
                found.append(f"{_method(text)} from {where}\n    {why}")
        return found


def _method(ics: bytes) -> str:
    for line in ics.splitlines():
        if line.upper().startswith(b"METHOD:"):
            return line.decode("utf-8", "replace")
    return "calendar without METHOD"


def start_witness(witness: CalendarWitness) -> None:
    global _current
    _current = witness


def stop_witness() -> None:
    global _current
    _current = None


def saw(ics: bytes, source: str) -> None:
    """A calendar seen outside the app (a test's own read, an SMTP server's handler)."""
    if _current is not None:
        _current.saw(ics, source)


def saw_mail(raw: bytes, source: str) -> None:
    """A message a test SMTP server received (its handler runs on aiosmtpd's thread)."""
    if _current is not None:
        _current.saw_mail(raw, source)


def harvest(app: Flask) -> None:
    if _current is not None:
        _current.harvest(app)


def response_finished(_sender: Any, response: Response, **_: Any) -> None:
    """Flask's ``request_finished`` receiver (any app, any thread)."""
    if _current is not None:
        _current.saw_response(response)
