"""Confidential text reaching a log line or print(): every marked line must be flagged."""

import logging

from flask import current_app

log = logging.getLogger(__name__)
logger = logging.getLogger("facilitator")


def save(note, record, body: str) -> None:
    log.info("Saved note: %s", note.body)  # expect: confidential-text-to-log
    logger.warning(f"Note text {note.plaintext}")  # expect: confidential-text-to-log
    logging.error("Reflections: %s", record.reflections)  # expect: confidential-text-to-log
    current_app.logger.debug(body)  # expect: confidential-text-to-log
    text = note.note_text.strip()
    log.exception("Could not save %r", text)  # expect: confidential-text-to-log
    print(record.reflection)  # expect: confidential-text-to-log
    summary = "Note: " + note.body
    log.info(summary)  # expect: confidential-text-to-log
