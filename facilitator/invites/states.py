"""Where each email of a session stands, in the words the session page and the API use.

The states come from the outbox row alone: ``queued`` (waiting its turn), ``sending`` (a worker
holds its lease now), ``will_retry`` (an attempt failed for a reason that may pass, such as the
mail server being down; it waits its backoff), ``sent``, ``failed`` (given up: a refusal, or too
many attempts), ``bounced`` (a failure where the mail server refused the address itself, the one
bounce the app learns of: bounces mailed back later are not read) and ``skipped`` (replaced by a
newer message, or no longer applies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from facilitator.invites import queries
from facilitator.models import MessageKind, OutboxMessage, OutboxStatus
from facilitator.queue import RunReport

KIND_LABELS = {"invitation": "Invitation", "update": "Update", "cancellation": "Cancellation",
               "reminder": "Reminder", "other": "Email"}
STATE_LABELS = {"queued": "Queued", "sending": "Sending", "will_retry": "Will retry", "sent": "Sent",
                "failed": "Failed", "bounced": "Bounced", "skipped": "Not sent"}

# What the mail layer's errors mean, for a facilitator (the technical text stays beside it).
PLAIN_ERRORS = (
    (r"^cannot reach SMTP server", "The mail server could not be reached."),
    (r"^SMTP server timed out", "The mail server did not answer in time."),
    (r"^TLS failure", "A secure connection to the mail server could not be made."),
    (r"^SMTP 5\d\d: recipient refused", "The mail server refused this address."),
    (r"^SMTP 5\d\d", "The mail server refused this email."),
    (r"^SMTP 4\d\d", "The mail server asked us to try again later."),
    (r"^SMTP", "The mail server could not take this email."),
    (r"^cannot build message", "This email could not be put together (check the address)."),
)


@dataclass(frozen=True)
class EmailState:
    """One email of a session as the page and the API show it."""

    message: OutboxMessage
    kind: str
    state: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def problem(self) -> str | None:
        """The last error in plain words (None when there is none, or it was sent after all)."""
        if self.state == "sent" or not self.message.last_error:
            return None
        return plain_error(self.message.last_error)


def plain_error(error: str) -> str:
    for pattern, words in PLAIN_ERRORS:
        if re.match(pattern, error):
            return words
    return error


def state_of(message: OutboxMessage, now: datetime) -> str:
    if message.status == OutboxStatus.PENDING:
        if message.locked_until is not None and message.locked_until >= now:
            return "sending"
        return "will_retry" if message.attempts and message.next_attempt_at > now else "queued"
    if message.status == OutboxStatus.FAILED and re.match(r"^SMTP 5\d\d: recipient refused",
                                                          message.last_error or ""):
        return "bounced"
    return {OutboxStatus.SENT: "sent", OutboxStatus.FAILED: "failed"}.get(message.status, "skipped")


def session_emails(session_id: int, now: datetime) -> list[EmailState]:
    """Every email of the session, newest first. An invite is an update when an earlier one to the
    same contact was already written out (it carries the event's next SEQUENCE)."""
    rows: list[EmailState] = []
    written: set[int | None] = set()
    for message in queries.session_messages(session_id):
        kind = _kind(message, message.contact_id in written)
        if message.kind in (MessageKind.REQUEST, MessageKind.CANCEL) and message.sequence is not None:
            written.add(message.contact_id)
        rows.append(EmailState(message, kind, state_of(message, now)))
    return rows[::-1]


def _kind(message: OutboxMessage, earlier_written: bool) -> str:
    if message.kind == MessageKind.REQUEST:
        return "update" if earlier_written else "invitation"
    return {MessageKind.CANCEL: "cancellation", MessageKind.REMINDER: "reminder"}.get(message.kind, "other")


def send_now_words(report: RunReport) -> tuple[str, str]:
    """"Sent 3, 1 failed: The mail server could not be reached. …" and its flash category."""
    failed = report.failed + report.retrying
    if not (report.sent or failed or report.skipped or report.busy or report.untried):
        return "Nothing was waiting to be sent for this session.", "info"
    text = f"Sent {report.sent}"
    if failed:
        problems = " ".join(dict.fromkeys(plain_error(error) for error in report.messages))
        text += f", {failed} failed: {problems}"
    text += "" if text.endswith(".") else "."
    if report.retrying:
        text += (f" {_count(report.retrying, 'email stays', 'emails stay')} queued with the error shown "
                 "below, and the outbox tries again by itself; nothing is lost.")
    if report.failed:
        text += f" {_count(report.failed, 'email was', 'emails were')} refused and will not be tried again."
    if report.skipped:
        text += f" {_count(report.skipped, 'email was', 'emails were')} no longer needed."
    if report.untried:
        text += (f" {_count(report.untried, 'more was', 'more were')} not tried while it fails; "
                 "they stay queued for the outbox too.")
    if report.busy:
        text += f" {_count(report.busy, 'email was', 'emails were')} already being sent by the outbox."
    return text, "error" if failed else "success"


def _count(n: int, one: str, many: str) -> str:
    return f"1 {one}" if n == 1 else f"{n} {many}"
