"""``replies fetch``: read new messages of the organizer mailbox and keep the calendar answers.

One pass connects to ``IMAP_HOST``, lists the folder's UIDs from the first unread one on (see
``facilitator.replies.ledger``) and, for each message it wins the claim of, reads it and records
its answers in one transaction with the ledger's "done". Only then is the message finished on
the server: a calendar REPLY is flagged ``\\Seen`` and moved to ``IMAP_DONE_FOLDER``. Anything
else (a person's email, an out-of-office, a malformed or oversized calendar) is left exactly as
it was, unread, for whoever watches the mailbox; the ledger remembers it so it is not read again.

Each skip is a log line naming the reason and the mailbox UID (never the message) and a count in
the run report. A message whose reading fails unexpectedly is logged and marked ``error``; the
pass goes on. An IMAP failure ends the pass: a claim it interrupted runs out and a later pass
reads the message; a reply recorded before the server could be told is moved by a later pass.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from email.utils import parseaddr
from typing import Any

from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from facilitator import queue, transaction
from facilitator.clock import now_utc
from facilitator.database import write_intent
from facilitator.invites.outbox import new_worker_id
from facilitator.replies import ledger
from facilitator.replies.parse import normalise_address, read_message
from facilitator.replies.record import record_answer
from integrations.imap import ImapMailbox, ImapSettings

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 30.0
MAX_MESSAGE_BYTES = 2 * 1024 * 1024  # a calendar reply is a few KiB; bigger mail is not read
IGNORED = ("unknown_uid", "no_occurrence", "not_invited", "other_answer", "stale")


def run_report() -> queue.RunReport:
    return queue.RunReport(
        ("read", "messages read"), ("recorded", "answers recorded"), ("unchanged", "already known"),
        ("stale", "older than the answer kept"), ("unknown_uid", "for unknown events"),
        ("no_occurrence", "for no session of the event"), ("not_invited", "from addresses not invited"),
        ("other_answer", "other answers"), ("no_reply", "without a calendar reply"),
        ("auto_reply", "auto-replies"), ("loop", "from our own address"), ("malformed", "malformed"),
        ("too_large", "too large"), ("error", "failed"), ("taken", "read by another worker"),
        ("finished_late", "moved late"))


def imap_settings(config: Mapping[str, Any]) -> ImapSettings | None:
    """The mailbox to read, from ``IMAP_*``; None when ``IMAP_HOST`` is empty (replies are off)."""
    if not config["IMAP_HOST"]:
        return None
    return ImapSettings(
        host=str(config["IMAP_HOST"]), port=int(config["IMAP_PORT"]), ssl=bool(config["IMAP_SSL"]),
        username=str(config["IMAP_USERNAME"]), password=str(config["IMAP_PASSWORD"]),
        folder=str(config["IMAP_FOLDER"]), done_folder=str(config["IMAP_DONE_FOLDER"] or ""),
        timeout=TIMEOUT_SECONDS)


def own_addresses(config: Mapping[str, Any]) -> frozenset[str]:
    """Addresses mail from which is our own (a loop, never an answer)."""
    keys = ("MAIL_FROM", "MAIL_REPLY_TO", "ORGANIZER_EMAIL", "IMAP_USERNAME")
    found = {normalise_address(parseaddr(str(config[k] or ""))[1]) for k in keys}
    return frozenset(a for a in found if a)


def run_once(worker: str | None = None, ssl_context: ssl.SSLContext | None = None) -> queue.RunReport:
    """One pass over the mailbox's new messages. Safe to run several at once."""
    report = run_report()
    settings = imap_settings(current_app.config)
    if settings is None:
        report.messages.append("IMAP_HOST is not set: there is no mailbox to read.")
        return report
    pass_ = _Pass(settings.mailbox_key, worker or new_worker_id(), own_addresses(current_app.config), report)
    with write_intent(), ImapMailbox(settings, ssl_context) as mailbox:
        first = ledger.first_unread(settings.mailbox_key, mailbox.uidvalidity)
        transaction.commit()
        for uid in mailbox.uids_from(first):
            pass_.handle(mailbox, uid)
    return report


class _Pass:
    def __init__(self, mailbox_key: str, worker: str, own: frozenset[str], report: queue.RunReport) -> None:
        self.key, self.worker, self.own, self.report = mailbox_key, worker, own, report

    def handle(self, mailbox: ImapMailbox, uid: int) -> None:
        row_id = ledger.claim(self.key, mailbox.uidvalidity, uid, self.worker, now_utc())
        transaction.commit()  # the claim is seen by every other worker before the message is read
        if row_id is None:
            self._finish_late(mailbox, uid)
            return
        self.report.add("read")
        outcome = self._read(mailbox, uid)
        ledger.finish(row_id, outcome, now_utc())
        transaction.commit()  # the answers and "read" together, before the server is told
        if outcome == ledger.REPLY:
            self._tell_server(mailbox, uid, row_id)

    def _tell_server(self, mailbox: ImapMailbox, uid: int, row_id: int) -> None:
        mailbox.finish(uid)
        ledger.finish(row_id, ledger.FINISHED, now_utc())
        transaction.commit()

    def _finish_late(self, mailbox: ImapMailbox, uid: int) -> None:
        """A reply read by a pass that could not tell the server (the move failed), once that
        pass's lease ran out, is told now; any other claim is another worker's."""
        row_id = ledger.claim_unfinished(self.key, mailbox.uidvalidity, uid, self.worker, now_utc())
        transaction.commit()
        if row_id is None:
            self.report.add("taken")
            return
        self._tell_server(mailbox, uid, row_id)
        self.report.add("finished_late")

    def _read(self, mailbox: ImapMailbox, uid: int) -> str:
        size = mailbox.size(uid)
        raw = mailbox.fetch(uid) if size is not None and size <= MAX_MESSAGE_BYTES else None
        if raw is None:
            return self._skip("too_large" if size else "no_reply", uid)
        try:
            return self._record(raw, uid)
        except SQLAlchemyError:
            raise  # the database is unwell: the claim runs out and a later pass reads it again
        except Exception as exc:  # noqa: BLE001 - one bad message must not stop the others
            transaction.rollback()
            # The kind of error only: its text could quote the message.
            log.error("Reading mailbox message (UID %s) failed: %s", uid, type(exc).__name__)
            self.report.add("error")
            return "error"

    def _record(self, raw: bytes, uid: int) -> str:
        found = read_message(raw, self.own)
        if found.skipped:
            return self._skip(found.skipped, uid)
        for reason, count in found.ignored.items():
            log.info("Calendar reply (mailbox UID %s): %s answer(s) ignored: %s", uid, count, reason)
            self.report.add(reason, count=count)
        for answer in found.answers:
            for outcome in record_answer(answer, now_utc()):
                if outcome in IGNORED:
                    log.info("Calendar answer ignored: %s (mailbox UID %s, event %s)",
                             outcome, uid, answer.uid[:80])
                self.report.add(outcome)
        return ledger.REPLY

    def _skip(self, reason: str, uid: int) -> str:
        log.info("Mailbox message skipped: %s (mailbox UID %s)", reason, uid)
        self.report.add(reason)
        return reason
