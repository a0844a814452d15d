"""The audit trail of confidential records: append-only, hash-chained, verifiable.

Each row's ``row_hash`` is an HMAC-SHA256, under a key derived from ``NOTES_KEYS``, over the
previous row's hash and the row's own content in a canonical JSON form. Rows are numbered 1, 2,
3, … under a lock on the single ``audit_chain_heads`` row, which also holds the last number and
hash, so a removed row (even the last one), a changed row and a row slipped in are all found by
``verify``. Rows hold metadata only: who, when, what
was done to which record, from where. Never any note text.

Without the key nobody can recompute a valid chain, so even a full rewrite of every row and the
head fails ``flask audit verify``; someone who also holds the key could, so keep the head hash
that ``verify`` prints somewhere else to catch even that. New rows are signed with the newest
key; ``verify`` accepts any configured key, and ``flask notes rotate`` re-signs the chain under
the newest one so the old keys can be removed (``flask audit rekey`` does it on its own).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from facilitator.clock import system_now
from facilitator.extensions import db
from facilitator.models import User
from facilitator.models.supervision import AuditChainHead, AuditEvent
from facilitator.supervision.crypto import keyring

GENESIS = "0" * 64
HEAD_ID = 1


@dataclass(frozen=True)
class Origin:
    """Where an action came from: ``web``, ``api`` or ``cli``, with the caller's IP and browser."""

    via: str
    ip_address: str | None = None
    user_agent: str | None = None


CLI = Origin("cli")


def canonical(event: AuditEvent) -> str:
    content = {
        "id": event.id,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "outcome": event.outcome,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "owner_id": event.owner_id,
        "via": event.via,
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "detail": event.detail or "",
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def digest(prev_hash: str, event: AuditEvent, key: bytes) -> str:
    return hmac.new(key, f"{prev_hash}\n{canonical(event)}".encode(), hashlib.sha256).hexdigest()


def unkeyed_digest(prev_hash: str, event: AuditEvent) -> str:
    """The plain SHA-256 the chain used before it was keyed (read only by ``rekey``)."""
    return hashlib.sha256(f"{prev_hash}\n{canonical(event)}".encode()).hexdigest()


def _signed(prev_hash: str, event: AuditEvent, keys: list[bytes]) -> bool:
    return any(hmac.compare_digest(digest(prev_hash, event, key), event.row_hash or "") for key in keys)


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the transaction ends (created on first use)."""
    head = db.session.get(AuditChainHead, HEAD_ID, with_for_update=True, populate_existing=True)
    if head is not None:
        return head
    last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
    values = {"id": HEAD_ID, "last_id": last.id if last else 0,
              "last_hash": last.row_hash if last else GENESIS}
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(AuditChainHead).values(**values).on_conflict_do_nothing())
    return db.session.get(AuditChainHead, HEAD_ID, with_for_update=True, populate_existing=True)


def record(action: str, *, actor: User | None, object_type: str, object_id: int | None,
           owner_id: int | None, origin: Origin, outcome: str = "ok", detail: str = "") -> AuditEvent:
    """Append one row to the trail (flushes; the caller's commit makes it permanent)."""
    head = _locked_head()
    event = AuditEvent(
        id=head.last_id + 1, occurred_at=system_now(), actor_id=actor.id if actor else None,
        actor_role=actor.role if actor else None, action=action, outcome=outcome,
        object_type=object_type, object_id=object_id, owner_id=owner_id, via=origin.via,
        ip_address=(origin.ip_address or None) and origin.ip_address[:64],
        user_agent=(origin.user_agent or None) and origin.user_agent[:300],
        detail=detail[:300], prev_hash=head.last_hash)
    event.row_hash = digest(head.last_hash, event, keyring().audit_keys[0])
    db.session.add(event)
    head.last_id, head.last_hash = event.id, event.row_hash
    db.session.flush()
    return event


def record_for(action: str, obj: object, actor: User | None, origin: Origin, outcome: str = "ok",
               detail: str = "") -> AuditEvent:
    """``record`` for a note or supervision record (anything with ``audit_type`` and ``owner_id``)."""
    return record(action, actor=actor, object_type=obj.audit_type, object_id=obj.id,  # type: ignore[attr-defined]
                  owner_id=obj.owner_id, origin=origin, outcome=outcome, detail=detail)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Verification:
    rows: int
    head_hash: str
    problem: str | None = None
    row_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _rows(batch: int = 1000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(db.session.scalars(
            select(AuditEvent).where(AuditEvent.id > last).order_by(AuditEvent.id).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        last = rows[-1].id
        db.session.expunge_all()


def describe(event: AuditEvent) -> str:
    when = event.occurred_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    who = f"user {event.actor_id}" if event.actor_id else event.via
    return f"{event.action} of {event.object_type} {event.object_id} by {who} at {when}"


def _changed(event: AuditEvent) -> str:
    if event.row_hash == unkeyed_digest(event.prev_hash, event):
        return (f"Audit row {event.id} is not signed with the audit key: it was rewritten by someone "
                "without the key, or written before the chain was keyed (see `flask audit rekey`).")
    return f"Audit row {event.id} was changed (it now reads: {describe(event)})."


def verify() -> Verification:
    """Walk the chain from the first row; report the first row changed, removed or added."""
    if not keyring().is_available:
        return Verification(0, GENESIS, f"The audit trail cannot be checked: {keyring().problem}")
    keys = keyring().audit_keys
    expected_id, prev_hash, count = 1, GENESIS, 0
    for event in _rows():
        if event.id != expected_id:
            return Verification(count, prev_hash, f"Audit row {expected_id} was removed "
                                f"(the chain jumps from row {expected_id - 1} to row {event.id}).",
                                expected_id)
        if event.id > 1 and event.prev_hash != prev_hash and _signed(event.prev_hash, event, keys):
            # This row is intact; the one before it was rewritten and given a fresh hash.
            return Verification(count, prev_hash, f"Audit row {event.id - 1} was changed "
                                "(its hash was recomputed, but the next row still names the old one).",
                                event.id - 1)
        if event.prev_hash != prev_hash or not _signed(prev_hash, event, keys):
            return Verification(count, prev_hash, _changed(event), event.id)
        prev_hash, expected_id, count = event.row_hash, expected_id + 1, count + 1
    head = db.session.get(AuditChainHead, HEAD_ID)
    last_id = head.last_id if head else 0
    if head is None and count:
        return Verification(count, prev_hash, "The audit chain head was removed.", None)
    if last_id > count:
        return Verification(count, prev_hash, f"Audit row {count + 1} was removed "
                            f"(the trail should end at row {last_id} but ends at row {count}).",
                            count + 1)
    if last_id < count:
        return Verification(count, prev_hash, f"Audit row {last_id + 1} was added outside the app "
                            f"(the trail should end at row {last_id}).", last_id + 1)
    if head is not None and head.last_hash != prev_hash:
        return Verification(count, prev_hash, f"Audit row {count} was changed "
                            "(it does not match the chain head).", count)
    return Verification(count, prev_hash)


def rekey(accept_unkeyed: bool = False) -> Verification:
    """Re-sign the whole chain under the newest key, after checking every row under the keys it
    may have been signed with (and, for an upgrade from the unkeyed chain, plain SHA-256).

    One transaction under the head's lock, written through the connection: the ORM refuses every
    change to audit rows, and this is the one deliberate exception. Nothing is changed when the
    chain does not check out.
    """
    head = _locked_head()
    keys = keyring().audit_keys
    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    prev_hash = GENESIS
    for expected_id, event in enumerate(events, start=1):
        unkeyed = accept_unkeyed and event.row_hash == unkeyed_digest(prev_hash, event)
        if event.id != expected_id or event.prev_hash != prev_hash or not (
                unkeyed or _signed(prev_hash, event, keys)):
            return Verification(expected_id - 1, prev_hash, f"Nothing was re-signed: audit row {expected_id} "
                                "does not check out. Run `flask audit verify` for the details.", expected_id)
        prev_hash = event.row_hash
    if head.last_id != len(events) or head.last_hash != prev_hash:
        return Verification(len(events), prev_hash, "Nothing was re-signed: the audit chain head does not "
                            "match its last row. Run `flask audit verify` for the details.")
    table, prev_hash = AuditEvent.__table__, GENESIS
    connection = db.session.connection()
    for event in events:
        new_hash = digest(prev_hash, event, keys[0])
        connection.execute(table.update().where(table.c.id == event.id)
                           .values(prev_hash=prev_hash, row_hash=new_hash))
        prev_hash = new_hash
    head.last_hash = prev_hash
    db.session.flush()
    db.session.expire_all()
    return Verification(len(events), prev_hash)
