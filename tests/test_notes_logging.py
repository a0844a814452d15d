"""Note text and reflections never reach the application log, at any level, from any logger."""

from __future__ import annotations

import logging
from base64 import urlsafe_b64encode
from datetime import date, timedelta

import pytest

from facilitator.extensions import db
from facilitator.models import User
from facilitator.supervision import services
from tests.support.factories import Auth, Factory
from tests.support.notes import (
    ACTION_TEXT,
    CHOSEN_THEME,
    FREE_THEME,
    NOTE_TEXT,
    REFLECTION_TEXT,
    SECRET_WORDS,
    WEB,
    leaked,
    make_world,
    write_note,
    write_record,
)


@pytest.fixture
def debug_log(caplog):
    """Everything every logger says, down to DEBUG (SQLAlchemy's SQL and parameters included)."""
    caplog.set_level(logging.DEBUG)
    for name in ("facilitator", "sqlalchemy.engine", "werkzeug", "flask"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def logged_text(caplog) -> str:
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


def test_no_note_or_reflection_text_in_the_log(app, make, api, debug_log):
    world = make_world(app, make)
    # Web: write, read, edit, share, the audit, a refused read.
    author = world.web("author")
    auth = Auth(author, make)
    created = auth.post("/notes/new", {"session_id": world.session.id, "home_id": world.home.id,
                                       "body": NOTE_TEXT, "shared": "y"})
    assert created.status_code == 302
    note_url = created.headers["Location"]
    assert NOTE_TEXT in author.get(note_url).get_data(as_text=True)
    assert auth.post(f"{note_url}/edit", {"body": NOTE_TEXT + " again", "home_id": ""}).status_code == 302
    assert author.get(f"{note_url}/audit").status_code == 200
    assert world.web("supervisor").get(note_url).status_code == 403  # no longer shared
    assert world.web("other").get(note_url).status_code == 403
    # A form that fails validation re-renders without logging what was typed.
    assert auth.post("/notes/new", {"session_id": "", "body": NOTE_TEXT}).status_code == 422
    # API: write, read, change, list.
    api.as_user(world.author)
    made = api.post("/api/v1/notes", json={"session_id": world.session.id, "body": NOTE_TEXT})
    assert made.status_code == 201
    assert api.get(f"/api/v1/notes/{made.json['id']}").json["body"] == NOTE_TEXT
    assert api.patch(f"/api/v1/notes/{made.json['id']}", json={"body": REFLECTION_TEXT}).status_code == 200
    too_long = api.patch(f"/api/v1/notes/{made.json['id']}", json={"body": NOTE_TEXT * 400})
    assert too_long.status_code == 422
    # Supervision: record through the form and the API, read it back, then as the lead.
    recorded = auth.post("/supervision/new", {
        "held_on": date.today().isoformat(), "supervisor_id": world.supervisor.id, "minutes": 50,
        "format": "one_to_one", "themes": CHOSEN_THEME, "other_themes": FREE_THEME,
        "reflections": REFLECTION_TEXT, "actions-0-text": ACTION_TEXT, "next_on": ""})
    assert recorded.status_code == 302
    assert REFLECTION_TEXT in author.get(recorded.headers["Location"]).get_data(as_text=True)
    posted = api.post("/api/v1/supervision", json={
        "date": (date.today() - timedelta(days=40)).isoformat(), "external_supervisor": "Morven Kerr",
        "minutes": 60, "format": "peer", "themes": [FREE_THEME], "reflections": REFLECTION_TEXT,
        "actions": [{"text": ACTION_TEXT, "done": True}]})
    assert posted.status_code == 201
    assert REFLECTION_TEXT in api.get("/api/v1/supervision").get_data(as_text=True)
    api.as_user(world.lead)
    assert api.get("/api/v1/supervision").status_code == 200
    # Services directly, including a record written and a note deleted.
    write_record(world.author, date.today() - timedelta(days=2), shared=True, supervisor=world.supervisor)
    note = write_note(world)
    services.delete_note(note, world.author, WEB)
    text = logged_text(debug_log)
    assert debug_log.records, "the log was captured"
    assert leaked(text, SECRET_WORDS) == []


def test_no_text_in_the_log_when_a_note_cannot_be_opened(make_app, debug_log):
    first = make_app(NOTES_KEYS=urlsafe_b64encode(b"K" * 32).decode())
    with first.app_context():
        world = make_world(first, Factory(first))
        note_id = write_note(world).id
        email = world.author.email
    second = make_app(NOTES_KEYS=urlsafe_b64encode(b"L" * 32).decode())
    with second.app_context():
        client = second.test_client()
        Auth(client, Factory(second)).login(db.session.scalar(db.select(User).where(User.email == email)))
        assert client.get(f"/notes/{note_id}").status_code == 503
    text = logged_text(debug_log)
    assert "key_missing" in text
    assert leaked(text, SECRET_WORDS) == []
