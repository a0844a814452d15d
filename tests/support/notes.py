"""Helpers for the confidential-notes and supervision tests (no tests here).

The texts are built from words that appear nowhere else in the app, so finding any of them in a
page, a log line, an export or a raw database value means that text leaked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.models import CareHome, Group, MeetingSession, User
from facilitator.models.supervision import AuditEvent, SessionNote, SupervisionRecord
from facilitator.supervision import services
from facilitator.supervision.audit import Origin
from tests.support.factories import Auth, Factory

# Words no other text of the app or its tests uses (the leak checks look for each one anywhere, even
# in a database file's free pages): "resident", say, is in the self-assessment framework's prompts.
NOTE_TEXT = "Marigold disclosed wartime evacuation nightmares; nephew Tobermory cried afterwards"
REFLECTION_TEXT = "Hollowed listening; tideline wobbling; Inverkeithing visitation lingers"
ACTION_TEXT = "Arrange Quarriers counsellor debrief"
FREE_THEME = "Moonlit carousel fatigue"
CHOSEN_THEME = services.THEMES[0]
SECRET_WORDS = sorted({w.lower() for text in (NOTE_TEXT, REFLECTION_TEXT, ACTION_TEXT, FREE_THEME)
                       for w in re.findall(r"[A-Za-z]+", text)})
WEB = Origin("web", "127.0.0.1", "pytest")


def leaked(text: str | bytes, words: list[str] = SECRET_WORDS) -> list[str]:
    """The secret words found in ``text`` (whole words, any case)."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return [w for w in words if re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", text, re.I)]


def add_session(group: Group, days_ago: int = 1, title: str = "PSL session") -> MeetingSession:
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    session = MeetingSession(group=group, title=title, starts_at=starts,
                             ends_at=starts + timedelta(minutes=90), timezone="Europe/London",
                             provider="link", sync_state="synced", sync_action="none")
    db.session.add(session)
    db.session.commit()
    return session


@dataclass
class World:
    """An author with a supervisor, a co-facilitator of the same group, and everyone else."""

    app: Flask
    make: Factory
    supervisor: User
    author: User
    other: User
    other_supervisor: User
    lead: User
    admin: User
    home: CareHome
    group: Group
    session: MeetingSession

    def user(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)

    def web(self, name: str) -> Any:
        """A test client signed in as ``name`` (or not signed in for "anonymous")."""
        client = self.app.test_client()
        user = self.user(name)
        if user is not None:
            Auth(client, self.make).login(user)
        return client


def make_world(app: Flask, make: Factory) -> World:
    supervisor = make.user("supervisor", name="Dr Ruth Sinclair")
    author = make.user("facilitator", name="Ailsa Fraser", supervisor_id=supervisor.id)
    other = make.user("facilitator", name="Callum Reid", supervisor_id=supervisor.id)
    home = make.home("Ardenlea House")
    group = make.group(facilitators=[author, other], homes=[home])
    return World(app, make, supervisor, author, other, make.user("supervisor", name="Dr Other"),
                 make.user("lead"), make.user("admin"), home, group, add_session(group))


def write_note(world: World, text: str = NOTE_TEXT, shared: bool = False,
               author: User | None = None) -> SessionNote:
    note = services.create_note(author or world.author, world.session.id, text, WEB, world.home.id, shared)
    db.session.commit()
    return note


def write_record(author: User, held_on: date, shared: bool = False, supervisor: User | None = None,
                 actions: list[services.ActionInput] | None = None) -> SupervisionRecord:
    data = services.RecordInput(
        held_on=held_on, minutes=60, format="one_to_one",
        supervisor_id=supervisor.id if supervisor else None,
        external_supervisor=None if supervisor else "Morven Kerr (external)",
        themes=[CHOSEN_THEME, FREE_THEME], reflections=REFLECTION_TEXT,
        actions=actions if actions is not None else [services.ActionInput(ACTION_TEXT, False),
                                                      services.ActionInput("Book leave", True)],
        shared=shared)
    record = services.record_supervision(author, data, WEB, date.today())
    db.session.commit()
    return record


def audit_count(object_type: str | None = None, object_id: int | None = None, **filters: Any) -> int:
    query = select(func.count()).select_from(AuditEvent)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    for name, value in filters.items():
        query = query.where(getattr(AuditEvent, name) == value)
    db.session.commit()
    return db.session.scalar(query)


def last_audit() -> AuditEvent:
    db.session.commit()
    return db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
