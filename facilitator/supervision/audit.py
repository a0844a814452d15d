"""The audit trail of confidential records: append-only, hash-chained, verifiable.

Each row's ``row_hash`` is SHA-256 over the previous row's hash and the row's own content in a
canonical JSON form. Rows are numbered 1, 2, 3, … under a lock on the single ``audit_chain_heads``
row, which also holds the last number and hash, so a removed row (even the last one), a changed
row and a row slipped in are all found by ``verify``. Rows hold metadata only: who, when, what
was done to which record, from where. Never any note text.

The chain shows tampering by anyone who cannot also rewrite every later row and the head; keep
the head hash that ``flask audit verify`` prints somewhere else to catch even that.
"""

from __future__ import annotations

import hashlib
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


def digest(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(event)}".encode()).hexdigest()


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
    event.row_hash = digest(head.last_hash, event)
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


def verify() -> Verification:
    """Walk the chain from the first row; report the first row changed, removed or added."""
    expected_id, prev_hash, count = 1, GENESIS, 0
    for event in _rows():
        if event.id != expected_id:
            return Verification(count, prev_hash, f"Audit row {expected_id} was removed "
                                f"(the chain jumps from row {expected_id - 1} to row {event.id}).",
                                expected_id)
        if event.id > 1 and event.prev_hash != prev_hash and digest(event.prev_hash, event) == event.row_hash:
            # This row is intact; the one before it was rewritten and given a fresh hash.
            return Verification(count, prev_hash, f"Audit row {event.id - 1} was changed "
                                "(its hash was recomputed, but the next row still names the old one).",
                                event.id - 1)
        if digest(prev_hash, event) != event.row_hash or event.prev_hash != prev_hash:
            return Verification(count, prev_hash, f"Audit row {event.id} was changed "
                                f"(it now reads: {describe(event)}).", event.id)
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
