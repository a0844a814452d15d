"""Helpers shared by the invitation, outbox, join and feed tests (no tests in this module)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from flask import Flask
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.invites import hooks
from facilitator.invites.outbox import run_once
from facilitator.models import Group, MeetingSession, OutboxMessage
from facilitator.queue import RunReport
from integrations.mailer import MemoryBackend
from tests.integrations.test_ical import parse_icalendar, parse_vobject

UNKNOWN_TOKEN = "an-unknown-token-" + "x" * 30
# Tuesday 25 February 2025, noon in London (GMT, so UTC is London time); the first session is
# a week later: "Tuesday 4 March, 10:00–11:30 (UK time)".
NOW = datetime(2025, 2, 25, 12, 0, tzinfo=UTC)
START = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
WHEN = "Tuesday 4 March, 10:00–11:30 (UK time)"
BASE = "http://psl.example.org"  # http: the test client keeps cookies of an http site
JOINED = date(2025, 1, 6)  # when the test homes joined their group
JOIN_URL = "https://meet.example.org/j/123456789?pwd=secret"


def first_outbox_message_id() -> int | None:
    return db.session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id).limit(1))


def set_now(app: Flask, when: datetime) -> None:
    app.config["FROZEN_NOW"] = when


def invites_config(**extra: Any) -> dict[str, Any]:
    """Settings for invitation tests: mail kept in memory, a frozen clock, an https base URL."""
    return {"MAIL_BACKEND": "memory", "FROZEN_NOW": NOW, "PUBLIC_BASE_URL": BASE, **extra}


def add_session(group: Group, *, title: str = "Peer Support and Learning", starts_at: datetime | None = None,
                minutes: int = 90, join_url: str | None = JOIN_URL, book: bool = True,
                **extra: Any) -> MeetingSession:
    """A session as booking would create it, then the hook booking calls; committed."""
    start = starts_at or START
    session = MeetingSession(
        group=group, title=title, starts_at=start, ends_at=start + timedelta(minutes=minutes),
        timezone="Europe/London", provider="link", join_url=join_url, sync_state="synced",
        sync_action="none", **extra)
    db.session.add(session)
    db.session.flush()
    if book:
        hooks.session_booked(session)
    db.session.commit()
    return session


def reschedule(session: MeetingSession, *, starts_at: datetime | None = None,
               title: str | None = None) -> None:
    if starts_at is not None:
        length = session.ends_at - session.starts_at
        session.starts_at, session.ends_at = starts_at, starts_at + length
    if title is not None:
        session.title = title
    session.sequence += 1
    db.session.flush()
    hooks.session_changed(session)
    db.session.commit()


def cancel(session: MeetingSession) -> None:
    session.status = "cancelled"
    session.sequence += 1
    db.session.flush()
    hooks.session_cancelled(session)
    db.session.commit()


def outbox_rows(**filters: Any) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in filters.items():
        query = query.where(getattr(OutboxMessage, key) == value)
    return list(db.session.scalars(query))


@dataclass
class Sent:
    """One delivered email, parsed."""

    raw: bytes
    msg: EmailMessage

    @property
    def to(self) -> str:
        return self.msg["To"].addresses[0].addr_spec

    @property
    def calendar(self) -> bytes | None:
        for part in self.msg.walk():
            if part.get_content_type() == "text/calendar":
                return part.get_payload(decode=True)
        return None

    @property
    def method(self) -> str | None:
        for part in self.msg.walk():
            if part.get_content_type() == "text/calendar":
                return part.get_param("method")
        return None

    @property
    def text(self) -> str:
        return self.msg.get_body(("plain",)).get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        return self.msg.get_body(("html",)).get_content()

    def links(self, prefix: str) -> list[str]:
        return re.findall(re.escape(prefix) + r"[A-Za-z0-9_\-]+", self.text)


def parse(raw: bytes) -> Sent:
    return Sent(raw, message_from_bytes(raw, policy=policy.default))  # type: ignore[arg-type]


def deliver(app: Flask, **kwargs: Any) -> tuple[RunReport, list[Sent]]:
    """Run the worker once with the app's memory backend; returns what it sent this time."""
    backend: MemoryBackend = app.extensions["mail_backend"]
    before = len(backend.sent)
    result = run_once(**kwargs)
    return result, [parse(raw) for _, raw in backend.sent[before:]]


def parsed_event(ics: bytes) -> tuple[Any, Any]:
    """The single VEVENT, read by icalendar (validated) and by vobject (validate=True)."""
    lib = parse_icalendar(ics)
    vob = parse_vobject(ics)
    (lib_event,) = lib.events
    (vob_event,) = vob.contents["vevent"]
    return lib_event, vob_event
