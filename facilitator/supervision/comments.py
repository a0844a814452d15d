"""Comments on a shared supervision record: the supervisor it is shared with writes one, the
facilitator reads it and may answer. Sealed and audited like the record itself.

Writing is one ``comment`` row in the record's trail (``denied`` when refused). The comments are
read with the record, on the page whose ``read`` row is already written; a comment that cannot
be opened is recorded as an ``error`` like the record. Sharing ends the supervisor's access to
the comments as it does to the record; the facilitator keeps them.
"""

from __future__ import annotations

import logging

from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.extensions import db
from facilitator.models import User
from facilitator.models.supervision import SupervisionComment, SupervisionRecord
from facilitator.supervision import audit
from facilitator.supervision.audit import Origin
from facilitator.supervision.crypto import NotesUnavailable, keyring
from facilitator.supervision.services import Denied

log = logging.getLogger(__name__)

MAX_COMMENT = 5000


def comment_problems(body: str | None) -> dict[str, str]:
    body = body or ""
    if not body.strip():
        return {"body": "Write the comment first."}
    if len(body) > MAX_COMMENT:
        return {"body": f"Keep the comment under {MAX_COMMENT} characters."}
    return {}


def check_can_comment(record: SupervisionRecord, actor: User, origin: Origin) -> None:
    """Refuse (and record the attempt) unless ``actor`` may comment on ``record``."""
    if not record.can_comment(actor):
        audit.record_for("comment", record, actor, origin, outcome="denied")
        log.info("Refused a comment on supervision record %s for user %s", record.id, actor.id)
        raise Denied("comment")


def add_comment(record: SupervisionRecord, actor: User, body: str, origin: Origin) -> SupervisionComment:
    """A comment by ``actor`` on ``record``; refused (and recorded) unless they may comment."""
    check_can_comment(record, actor, origin)
    keyring().require()
    problems = comment_problems(body)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    comment = SupervisionComment(record_id=record.id, author_id=actor.id, ciphertext=b"", key_id="")
    record.comments.append(comment)
    db.session.flush()
    comment.key_id, comment.ciphertext = keyring().encrypt(body.strip().encode(), comment.associated_data())
    audit.record_for("comment", record, actor, origin, detail=f"comment {comment.id}")
    db.session.flush()
    log.info("Comment %s on supervision record %s by user %s", comment.id, record.id, actor.id)
    return comment


def read_comments(record: SupervisionRecord, actor: User,
                  origin: Origin) -> list[tuple[SupervisionComment, str]]:
    """The comments alone (the API): refused (and recorded) unless ``actor`` may read the record or
    comment on it; otherwise one ``read`` row, then those comments they may read, opened."""
    if not (record.can_read(actor, origin.via) or record.can_comment(actor)):
        audit.record_for("read", record, actor, origin, outcome="denied", detail="comments")
        log.info("Refused the comments of supervision record %s to user %s", record.id, actor.id)
        raise Denied("read")
    audit.record_for("read", record, actor, origin, detail="comments")
    return comments_for(record, actor, origin)


def comments_for(record: SupervisionRecord, actor: User,
                 origin: Origin) -> list[tuple[SupervisionComment, str]]:
    """The comments ``actor`` may read, opened; call after the read is audited (``read_record``)."""
    opened = []
    for comment in record.comments:
        if not comment.can_read(actor, origin.via):
            continue
        try:
            text = keyring().decrypt(comment.key_id, comment.ciphertext, comment.associated_data()).decode()
        except NotesUnavailable as exc:
            audit.record_for("read", record, actor, origin, outcome="error", detail=f"comment {comment.id}")
            exc.keep_audit = True
            raise
        opened.append((comment, text))
    return opened
