"""Encryption at rest: what the database holds, keys, rotation, and a missing or wrong key."""

from __future__ import annotations

import base64
import logging
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models.supervision import SessionNote, SupervisionAction, SupervisionRecord
from facilitator.supervision import crypto, lifecycle, services
from facilitator.supervision.crypto import IntegrityFailed, NotesUnavailable
from tests.support.factories import Factory
from tests.support.notes import (
    NOTE_TEXT,
    REFLECTION_TEXT,
    WEB,
    World,
    audit_count,
    last_audit,
    leaked,
    make_world,
    write_note,
    write_record,
)

KEY_A = base64.urlsafe_b64encode(b"A" * 32).decode()
KEY_B = base64.urlsafe_b64encode(b"B" * 32).decode()


def sealed_rows() -> list[tuple[str, int, str]]:
    db.session.commit()
    return [(m.__tablename__, obj.id, obj.key_id) for m in (SessionNote, SupervisionRecord, SupervisionAction)
            for obj in db.session.scalars(db.select(m))]


def read_all() -> list[str]:
    """Open every note and record as its author would (raises when a key is missing)."""
    texts = []
    for note in db.session.scalars(db.select(SessionNote)):
        texts.append(services.read_note(note, note.author, WEB))
    for record in db.session.scalars(db.select(SupervisionRecord)):
        content = services.read_record(record, record.facilitator, WEB)
        texts.append(content.reflections)
        texts.extend(t for _, t in content.actions)
    db.session.commit()
    return texts


# Keys -----------------------------------------------------------------------------------------

def test_new_key_prints_32_random_bytes_in_url_safe_base64(runner):
    first = runner.invoke(args=["notes", "new-key"])
    second = runner.invoke(args=["notes", "new-key"])
    assert first.exit_code == 0
    key = first.output.strip()
    assert len(base64.urlsafe_b64decode(key)) == 32 and key != second.output.strip()
    assert crypto.parse_keys(key) == [base64.urlsafe_b64decode(key)]


def test_key_ids_are_derived_from_the_keys_and_reveal_nothing():
    ids = {crypto.key_id(base64.urlsafe_b64decode(k)) for k in (KEY_A, KEY_B)}
    assert len(ids) == 2 and all(len(i) == 16 for i in ids)
    assert crypto.key_id(b"A" * 32) == crypto.key_id(b"A" * 32)
    assert not any(i in KEY_A or i in (b"A" * 32).hex() for i in ids)


@pytest.mark.parametrize(("value", "message"), [
    ("not base64 at all!", "entry 1 is not URL-safe base64"),
    (f"{KEY_A},{base64.urlsafe_b64encode(b'short').decode()}", "entry 2 is not 32 bytes"),
])
def test_malformed_keys_are_named_by_position_never_by_content(value, message):
    with pytest.raises(ValueError, match=message) as caught:
        crypto.parse_keys(value)
    assert KEY_A not in str(caught.value)


def test_keys_are_read_newest_first_and_blank_entries_ignored():
    assert crypto.parse_keys(f" {KEY_B} , ,{KEY_A}") == [b"B" * 32, b"A" * 32]


@pytest.mark.fresh_app  # two apps on one instance folder, which starts empty
def test_demo_key_is_generated_once_owner_only_with_a_warning(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="facilitator"):
        first = make_app()
    path = Path(first.instance_path) / crypto.DEMO_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated a demo key" in caplog.text and str(path) in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="facilitator"):
        second = make_app()
    assert "generated a demo key" not in caplog.text and "using the demo key" in caplog.text
    assert first.extensions["notes_keyring"].key_ids == second.extensions["notes_keyring"].key_ids
    assert first.extensions["notes_keyring"].source == "demo"


def test_configured_keys_never_touch_the_demo_file(make_app):
    app = make_app(NOTES_KEYS=f"{KEY_B},{KEY_A}")
    assert not (Path(app.instance_path) / crypto.DEMO_KEY_FILE).exists()
    ring = app.extensions["notes_keyring"]
    assert ring.source == "NOTES_KEYS"
    assert ring.key_ids == [crypto.key_id(b"B" * 32), crypto.key_id(b"A" * 32)]
    assert KEY_A not in repr(ring) and KEY_B not in repr(ring)


def test_https_without_keys_leaves_notes_unavailable_and_generates_nothing(make_app, caplog):
    with caplog.at_level(logging.ERROR, logger="facilitator"):
        app = make_app(PUBLIC_BASE_URL="https://psl.example.scot", NOTES_KEYS="")
    assert not (Path(app.instance_path) / crypto.DEMO_KEY_FILE).exists()
    assert "NOTES_KEYS is empty" in caplog.text
    with app.app_context(), pytest.raises(NotesUnavailable):
        crypto.keyring().encrypt(b"x", b"ad")


# What the database holds ----------------------------------------------------------------------

@pytest.mark.real_commits  # the database file itself is read
def test_the_raw_database_value_holds_no_word_of_the_plaintext(app, make):
    """Read back with plain SQL, bypassing the models: only ciphertext, on SQLite and PostgreSQL."""
    world = make_world(app, make)
    note = write_note(world)
    write_record(world.author, date.today(), supervisor=world.supervisor)
    raw = db.session.execute(text("SELECT ciphertext FROM session_notes WHERE id = :id"), {"id": note.id})
    value = bytes(raw.scalar_one())
    assert len(value) > len(NOTE_TEXT) and leaked(value) == []
    # Every table of the app, not only ours: no outbox message, export or log table holds it either.
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(table.select()):
            for column in row:
                dumped = bytes(column) if isinstance(column, bytes | memoryview) else str(column)
                assert leaked(dumped) == [], (table.name, row)
    assert read_all()[:2] == [NOTE_TEXT, REFLECTION_TEXT]
    if db.engine.dialect.name == "sqlite":
        db.session.commit()
        db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        path = Path(db.engine.url.database)
        files = [p for p in (path, Path(f"{path}-wal")) if p.exists()]
        assert files and all(leaked(p.read_bytes()) == [] for p in files)


def test_ciphertext_copied_onto_another_note_fails_to_decrypt(app, make, client):
    world = make_world(app, make)
    first, second = write_note(world), write_note(world, text="A second, harmless note")
    db.session.execute(text("UPDATE session_notes SET ciphertext = (SELECT ciphertext FROM session_notes "
                            "WHERE id = :a), key_id = (SELECT key_id FROM session_notes WHERE id = :a) "
                            "WHERE id = :b"), {"a": first.id, "b": second.id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(IntegrityFailed):
        services.read_note(db.session.get(SessionNote, second.id), world.author, WEB)
    db.session.rollback()
    page = world.web("author").get(f"/notes/{second.id}")
    assert page.status_code == 500 and "failed its integrity check" in page.get_data(as_text=True)
    assert leaked(page.get_data(as_text=True)) == []
    row = last_audit()
    assert (row.action, row.outcome, row.detail, row.object_id) == ("read", "error", "integrity", second.id)


def test_ciphertext_moved_to_another_author_fails_to_decrypt(app, make):
    world = make_world(app, make)
    note = write_note(world)
    db.session.execute(text("UPDATE session_notes SET author_id = :o WHERE id = :n"),
                       {"o": world.other.id, "n": note.id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(IntegrityFailed):
        services.read_note(db.session.get(SessionNote, note.id), world.other, WEB)


# Rotation -------------------------------------------------------------------------------------

def _seed_under_key_a(make_app):
    app = make_app(NOTES_KEYS=KEY_A)
    with app.app_context():
        world = make_world(app, Factory(app))
        write_note(world, shared=True)
        write_note(world, text="Second note about Tobermory")
        write_record(world.author, date.today() - timedelta(days=5), supervisor=world.supervisor)
        assert {k for _, _, k in sealed_rows()} == {crypto.key_id(b"A" * 32)}
        db.session.remove()
    return world


def test_rotation_then_only_the_new_key_opens_and_the_old_key_alone_fails(make_app):
    _seed_under_key_a(make_app)
    both = make_app(NOTES_KEYS=f"{KEY_B},{KEY_A}")
    with both.app_context():
        before = audit_count(action="rotate")
        result = both.test_cli_runner().invoke(args=["notes", "rotate"])
        assert result.exit_code == 0, result.output
        assert "Re-encrypted 5 rows" in result.output
        assert {k for _, _, k in sealed_rows()} == {crypto.key_id(b"B" * 32)}
        assert audit_count(action="rotate") > before
        again = both.test_cli_runner().invoke(args=["notes", "rotate"])
        assert "Re-encrypted 0 rows" in again.output
        db.session.remove()
    new_only = make_app(NOTES_KEYS=KEY_B)
    with new_only.app_context():
        texts = read_all()
        assert NOTE_TEXT in texts and REFLECTION_TEXT in texts
        db.session.remove()
    old_only = make_app(NOTES_KEYS=KEY_A)
    with old_only.app_context():
        note = db.session.scalars(db.select(SessionNote)).first()
        with pytest.raises(NotesUnavailable) as caught:
            services.read_note(note, note.author, WEB)
        assert caught.value.reason == "key_missing"
        db.session.rollback()
        db.session.remove()


def test_rotation_is_resumable_after_an_interruption(make_app):
    _seed_under_key_a(make_app)
    both = make_app(NOTES_KEYS=f"{KEY_B},{KEY_A}")
    with both.app_context():
        def interrupt(_table, _count):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            lifecycle.rotate_keys(batch_size=1, on_batch=interrupt)
        db.session.rollback()
        keys = [k for _, _, k in sealed_rows()]
        assert keys.count(crypto.key_id(b"B" * 32)) == 1, "the first batch was committed"
        assert lifecycle.rotate_keys(batch_size=2).rotated == 4
        assert {k for _, _, k in sealed_rows()} == {crypto.key_id(b"B" * 32)}
        db.session.remove()
    with make_app(NOTES_KEYS=KEY_B).app_context():
        assert NOTE_TEXT in read_all()
        db.session.remove()


def test_rotation_reports_rows_it_cannot_open(make_app):
    _seed_under_key_a(make_app)
    app = make_app(NOTES_KEYS=KEY_B)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["notes", "rotate"])
        assert result.exit_code == 1
        assert "session_notes 1" in result.output and "could not be opened" in result.output
        db.session.remove()


# A missing or wrong key -----------------------------------------------------------------------

@pytest.mark.parametrize("keys", ["not-a-valid-key", KEY_B], ids=["malformed", "wrong"])
def test_a_missing_or_wrong_key_gives_a_clear_page_and_the_rest_of_the_app_works(make_app, keys):
    world = _seed_under_key_a(make_app)
    app = make_app(NOTES_KEYS=keys)
    with app.app_context():
        world = World(app, Factory(app), *[db.session.merge(x) for x in (
            world.supervisor, world.author, world.other, world.other_supervisor, world.lead, world.admin,
            world.home, world.group, world.session)])
        client = world.web("author")
        page = client.get("/notes/1")
        assert page.status_code == 503
        html = page.get_data(as_text=True)
        assert "Confidential notes are unavailable" in html and "tell your administrator" in html
        assert leaked(html) == [] and KEY_B not in html
        assert page.headers["Cache-Control"] == "no-store"
        for url in ("/", "/notes", "/supervision", "/healthz"):
            assert client.get(url).status_code == 200, url
        if keys == KEY_B:
            assert "not configured (key id" in html
            assert (last_audit().outcome, last_audit().detail) == ("error", "key_missing")
        else:
            assert client.get("/notes/new").status_code == 503
        token = issue_api_token(world.author)
        db.session.commit()
        api = app.test_client()
        response = api.get("/api/v1/notes/1", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 503 and "error" in response.json
        assert api.get("/api/v1/groups", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        db.session.remove()
