"""What happens to confidential records over time: deleted once past retention (each deletion
audited), and re-sealed under the newest key when the keys are rotated."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update

from facilitator import transaction
from facilitator.extensions import db
from facilitator.models import User
from facilitator.models.supervision import SEALED_MODELS, SessionNote, SupervisionRecord
from facilitator.supervision import audit
from facilitator.supervision.audit import Origin
from facilitator.supervision.crypto import NotesUnavailable, keyring
from facilitator.supervision.queries import Expired, expired

log = logging.getLogger(__name__)


# Retention ------------------------------------------------------------------------------------

def purge(cutoff: date, actor: User | None, origin: Origin) -> list[Expired]:
    """Delete what is past retention, leaving a ``purge`` audit row for each record."""
    gone = expired(cutoff)
    for item in gone:
        model = SessionNote if item.kind == "note" else SupervisionRecord
        obj = db.session.get(model, item.id)
        audit.record_for("purge", obj, actor, origin, detail=f"older than {cutoff.isoformat()}")
        db.session.delete(obj)
        db.session.flush()
    if gone:
        log.info("Purged %s confidential records older than %s", len(gone), cutoff.isoformat())
    return gone


# Key rotation ---------------------------------------------------------------------------------

@dataclass
class Rotation:
    rotated: int = 0
    failed: list[str] = field(default_factory=list)


def rotate_keys(batch_size: int = 100, on_batch: Any = None) -> Rotation:
    """Re-seal every note, reflection and action under the newest key, one committed batch at a time.

    Safe to interrupt and to run again: a batch is one transaction, rows already under the newest
    key are skipped, and each row is only replaced if it still holds the ciphertext that was read
    (an edit made meanwhile wins and is already under the newest key). Rows that cannot be opened
    (their key is not configured) are left as they are and reported.
    """
    ring = keyring()
    newest = ring.newest_id
    result = Rotation()
    for model in SEALED_MODELS:
        last_id = 0
        while True:
            rows = list(db.session.scalars(
                select(model).where(model.key_id != newest, model.id > last_id)
                .order_by(model.id).limit(batch_size)))
            if not rows:
                break
            done = 0
            for row in rows:
                try:
                    plaintext = ring.decrypt(row.key_id, row.ciphertext, row.associated_data())
                except NotesUnavailable as exc:
                    where = f"{model.__tablename__} {row.id} (key id {row.key_id})"
                    result.failed.append(f"{where}: {exc.reason}")
                    continue
                key_id, blob = ring.encrypt(plaintext, row.associated_data())
                changed = db.session.execute(
                    update(model)
                    .where(model.id == row.id, model.key_id == row.key_id, model.ciphertext == row.ciphertext)
                    .values(key_id=key_id, ciphertext=blob)
                    .execution_options(synchronize_session=False))
                done += changed.rowcount
            last_id = rows[-1].id
            if done:
                audit.record("rotate", actor=None, object_type="keyring", object_id=None, owner_id=None,
                             origin=audit.CLI, detail=f"{model.__tablename__}: {done} rows to key {newest}")
            transaction.commit()
            result.rotated += done
            if on_batch is not None:
                on_batch(model.__tablename__, done)
    return result
