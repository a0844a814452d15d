"""The audit trail is append-only and tamper-evident; retention purges leave a row per record."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text, update

from facilitator.database import write_intent
from facilitator.extensions import db
from facilitator.models.supervision import (
    AuditEvent,
    AuditTrailIsAppendOnly,
    SessionNote,
    SupervisionRecord,
)
from facilitator.supervision import audit
from facilitator.supervision.audit import GENESIS
from facilitator.supervision.crypto import audit_key, keyring, new_key, parse_keys
from tests.support.factories import Auth
from tests.support.notes import (
    WEB,
    audit_count,
    leaked,
    make_world,
    write_note,
    write_record,
)


@pytest.fixture
def world(app, make):
    return make_world(app, make)


@pytest.fixture
def trail(world):
    """A few real rows: create, read, share, a refused read."""
    note = write_note(world)
    client = world.web("author")
    client.get(f"/notes/{note.id}")
    world.web("other").get(f"/notes/{note.id}")
    write_record(world.author, date.today(), supervisor=world.supervisor)
    db.session.commit()
    rows = list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)))
    assert len(rows) == 4
    return rows


def verify_cli(runner):
    return runner.invoke(args=["audit", "verify"])


def signing_key() -> bytes:
    return keyring().audit_keys[0]


def rewrite_chain(sign) -> None:
    """What someone with write access to the database would do: change row 2, then recompute
    every later hash and the head, so that the chain is consistent again."""
    rows = list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)))
    values = [{c.key: getattr(r, c.key) for c in AuditEvent.__table__.columns} for r in rows]
    db.session.expunge_all()
    values[1]["outcome"] = "denied"
    prev = GENESIS
    for row in values:
        row["prev_hash"], row["row_hash"] = prev, sign(prev, AuditEvent(**row))
        db.session.execute(text("UPDATE audit_events SET outcome = :o, prev_hash = :p, row_hash = :h "
                                "WHERE id = :i"),
                           {"o": row["outcome"], "p": row["prev_hash"], "h": row["row_hash"], "i": row["id"]})
        prev = row["row_hash"]
    db.session.execute(text("UPDATE audit_chain_heads SET last_hash = :h"), {"h": prev})
    db.session.commit()


def test_rows_form_an_unbroken_hash_chain(trail, runner):
    assert [r.id for r in trail] == [1, 2, 3, 4]
    assert trail[0].prev_hash == GENESIS
    for previous, row in zip(trail, trail[1:], strict=False):
        assert row.prev_hash == previous.row_hash
    assert all(audit.digest(r.prev_hash, r, signing_key()) == r.row_hash for r in trail)
    result = verify_cli(runner)
    assert result.exit_code == 0 and "intact: 4 rows" in result.output and trail[-1].row_hash in result.output


def test_rows_record_who_when_which_and_from_where(trail, world):
    denied = trail[2]
    assert (denied.actor_id, denied.actor_role, denied.action, denied.outcome) == (
        world.other.id, "facilitator", "read", "denied")
    assert (denied.object_type, denied.owner_id, denied.via, denied.ip_address) == (
        "note", world.author.id, "web", "127.0.0.1")
    assert denied.user_agent and abs(denied.occurred_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_verify_names_a_changed_row(trail, runner):
    db.session.execute(text("UPDATE audit_events SET actor_id = :x WHERE id = 3"), {"x": trail[0].actor_id})
    db.session.commit()
    result = verify_cli(runner)
    assert result.exit_code == 1 and "Audit row 3 was changed" in result.output


def test_verify_names_a_changed_row_even_when_its_hash_was_recomputed(trail, runner):
    row = trail[1]
    row_id = row.id
    forged = AuditEvent(**{c.key: getattr(row, c.key) for c in AuditEvent.__table__.columns})
    forged.outcome = "denied"
    new_hash = audit.digest(row.prev_hash, forged, signing_key())  # an insider with the key
    db.session.expunge_all()
    db.session.execute(text("UPDATE audit_events SET outcome = 'denied', row_hash = :h WHERE id = :i"),
                       {"h": new_hash, "i": row_id})
    db.session.commit()
    result = verify_cli(runner)
    assert result.exit_code == 1 and "Audit row 2 was changed" in result.output


def test_a_full_rewrite_with_plain_sha256_fails_verify(trail, runner):
    rewrite_chain(audit.unkeyed_digest)
    result = verify_cli(runner)
    assert result.exit_code == 1 and "Audit row 1 is not signed with the audit key" in result.output


def test_a_full_rewrite_under_another_key_fails_verify(trail, runner):
    stranger = audit_key(parse_keys(new_key())[0])
    rewrite_chain(lambda prev, event: audit.digest(prev, event, stranger))
    result = verify_cli(runner)
    assert result.exit_code == 1 and "Audit row 1 was changed" in result.output


def _verify_under(make_app, keys: str):
    app = make_app(NOTES_KEYS=keys)
    with app.app_context():
        return app.test_cli_runner().invoke(args=["audit", "verify"])


def test_rotating_the_notes_keys_keeps_the_chain_verifiable(make_app):
    """New key first: the old rows still verify; `notes rotate` re-signs them so the old key can go."""
    old, new = new_key(), new_key()
    app = make_app(NOTES_KEYS=old)
    with app.app_context():
        for n in range(3):
            audit.record("read", actor=None, object_type="note", object_id=n, owner_id=None, origin=audit.CLI)
        db.session.commit()
    assert "intact: 3 rows" in _verify_under(make_app, f"{new},{old}").output
    assert _verify_under(make_app, new).exit_code == 1, "rows signed with the old key need it"
    rotated = make_app(NOTES_KEYS=f"{new},{old}")
    with rotated.app_context():
        result = rotated.test_cli_runner().invoke(args=["notes", "rotate"])
        assert result.exit_code == 0, result.output
        assert "The audit trail (3 rows) is signed with the newest key" in result.output
    assert "intact: 3 rows" in _verify_under(make_app, new).output


def test_rekey_refuses_a_chain_that_does_not_check_out(trail, runner):
    rewrite_chain(audit.unkeyed_digest)
    before = [r.row_hash for r in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]
    result = runner.invoke(args=["audit", "rekey"])
    assert result.exit_code == 1 and "Nothing was re-signed: audit row 1 does not check out" in result.output
    assert [r.row_hash for r in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))] == before


def test_rekey_upgrades_an_unkeyed_chain_when_told_to(trail, runner):
    """An install upgraded from the plain SHA-256 chain: verify says so, and rekey --accept-unkeyed
    (after the operator has checked the trail) signs it under the key."""
    rows = list(db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)))
    values = [{c.key: getattr(r, c.key) for c in AuditEvent.__table__.columns} for r in rows]
    db.session.expunge_all()
    prev = GENESIS
    for row in values:
        row["prev_hash"] = prev
        row["row_hash"] = prev = audit.unkeyed_digest(prev, AuditEvent(**row))
        db.session.execute(text("UPDATE audit_events SET prev_hash = :p, row_hash = :h WHERE id = :i"),
                           {"p": row["prev_hash"], "h": row["row_hash"], "i": row["id"]})
    db.session.execute(text("UPDATE audit_chain_heads SET last_hash = :h"), {"h": prev})
    db.session.commit()
    assert "is not signed with the audit key" in verify_cli(runner).output
    result = runner.invoke(args=["audit", "rekey", "--accept-unkeyed"])
    assert result.exit_code == 0, result.output
    assert "intact: 4 rows" in verify_cli(runner).output


@pytest.mark.parametrize("removed", [2, 4], ids=["middle", "last"])
def test_verify_names_a_removed_row(trail, runner, removed):
    db.session.execute(text("DELETE FROM audit_events WHERE id = :i"), {"i": removed})
    db.session.commit()
    result = verify_cli(runner)
    assert result.exit_code == 1 and f"Audit row {removed} was removed" in result.output


def test_the_app_cannot_change_or_delete_audit_rows(trail, app):
    row = db.session.get(AuditEvent, trail[0].id)
    row.outcome = "denied"
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, trail[0].id))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(update(AuditEvent).values(outcome="denied"))
    with pytest.raises(AuditTrailIsAppendOnly):
        db.session.execute(db.delete(AuditEvent))
    db.session.rollback()
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, rule.rule
    assert audit_count() == 4


@pytest.mark.real_commits  # appends from several threads
def test_concurrent_appends_keep_one_chain(app, world, runner):
    errors: list[BaseException] = []

    def append(n: int) -> None:
        try:
            with app.app_context():
                for i in range(5):
                    with write_intent():
                        audit.record("read", actor=None, object_type="test", object_id=n * 10 + i,
                                     owner_id=None, origin=WEB)
                        db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    db.session.commit()
    threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert audit_count("test") == 20
    result = verify_cli(runner)
    assert result.exit_code == 0, result.output


# Retention --------------------------------------------------------------------------------------

def _age(world):
    """Two old notes and an old supervision record, one recent of each."""
    old_note, old_note_2, new_note = write_note(world), write_note(world), write_note(world)
    old_record = write_record(world.author, date.today() - timedelta(days=800), supervisor=world.supervisor)
    new_record = write_record(world.author, date.today() - timedelta(days=10), supervisor=world.supervisor)
    long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(days=900)
    db.session.execute(text("UPDATE session_notes SET created_at = :t WHERE id IN (:a, :b)"),
                       {"t": long_ago, "a": old_note.id, "b": old_note_2.id})
    db.session.commit()
    return ({old_note.id, old_note_2.id}, new_note.id, old_record.id, new_record.id)


def test_purge_dry_run_deletes_nothing_then_purge_deletes_and_audits(world, runner):
    old_notes, new_note, old_record, new_record = _age(world)
    dry = runner.invoke(args=["notes", "purge", "--dry-run"])
    assert dry.exit_code == 0 and "3 records older than" in dry.output and "would be deleted" in dry.output
    assert f"would delete supervision {old_record}" in dry.output
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(SessionNote)) == 3
    before = audit_count(action="purge")
    result = runner.invoke(args=["notes", "purge"])
    assert result.exit_code == 0 and "Deleted 3 records" in result.output
    db.session.commit()
    assert set(db.session.scalars(db.select(SessionNote.id))) == {new_note}
    assert set(db.session.scalars(db.select(SupervisionRecord.id))) == {new_record}
    assert audit_count(action="purge") == before + 3
    purged = {(r.object_type, r.object_id) for r in db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "purge"))}
    assert purged == {("note", i) for i in old_notes} | {("supervision", old_record)}
    assert verify_cli(runner).exit_code == 0


def test_admin_sees_counts_and_dates_and_deletes_only_what_retention_allows(world):
    old_notes, new_note, old_record, new_record = _age(world)
    client = world.web("admin")
    page = client.get("/admin/confidential")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "Ailsa Fraser" in html and "Delete 3 records past retention" in html and leaked(html) == []
    response = Auth(client, world.make).post("/admin/confidential/purge", {}, page="/admin/confidential")
    assert response.status_code == 302
    db.session.commit()
    assert set(db.session.scalars(db.select(SessionNote.id))) == {new_note}
    assert set(db.session.scalars(db.select(SupervisionRecord.id))) == {new_record}
    log = client.get("/admin/audit").get_data(as_text=True)
    assert "Deleted (retention)" in log and leaked(log) == []
    for actor in ("lead", "author", "supervisor"):
        assert world.web(actor).get("/admin/confidential").status_code == 403
        assert world.web(actor).get("/admin/audit").status_code == 403
