"""Logging ids and sizes, never the text: nothing here may be flagged."""

import logging

log = logging.getLogger(__name__)


def save(note, record, response) -> None:
    log.info("Note %s created by user %s", note.id, note.author_id)
    log.info("Note %s is %s characters long", note.id, len(note.body))
    log.warning("Supervision record %s has reflections: %s", record.id, bool(record.reflections))
    log.info("Provider answered %s", response.status_code)
    print("Done", note.id)
    note.body = note.body.strip()
