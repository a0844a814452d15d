"""A session's emails over the API: where each stands, and "Send now" (the outbox's own send path)."""

from __future__ import annotations

from typing import Literal

from flask import abort, g
from pydantic import Field

from facilitator.access import MANAGERS, READERS, session_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Output
from facilitator.api.sessions import UtcTime
from facilitator.clock import now_utc
from facilitator.invites import outbox, states


class InvitationOut(Output):
    contact_id: int | None
    home_id: int | None
    email: str
    kind: Literal["invitation", "update", "cancellation", "reminder", "other"]
    state: Literal["queued", "sending", "will_retry", "sent", "failed", "bounced", "skipped"]
    sent_at: UtcTime | None
    last_error: str | None
    next_attempt_at: UtcTime | None = Field(description="When a queued or retrying email goes next")

    @classmethod
    def of(cls, row: states.EmailState) -> InvitationOut:
        m = row.message
        waiting = row.state in ("queued", "sending", "will_retry")
        return cls(contact_id=m.contact_id, home_id=m.contact.home_id if m.contact else None,
                   email=m.to_email, kind=row.kind, state=row.state, sent_at=m.sent_at,
                   last_error=m.last_error, next_attempt_at=m.next_attempt_at if waiting else None)


class InvitationList(Output):
    invitations: list[InvitationOut]


class SendNowOut(Output):
    sent: int
    failed: int = Field(description="Not sent this time: will_retry of them stay queued, the rest failed")
    will_retry: int
    skipped: int = Field(description="No longer needed (replaced by a newer email, or no longer applies)")
    busy: int = Field(description="Already being sent by the outbox worker, left to it")
    untried: int = Field(description="Not tried after a failure that may pass (the mail server is "
                         "down); they stay queued")
    errors: list[str]


@operation("/sessions/<int:session_id>/invitations", "GET", roles=READERS, response=InvitationList,
           summary="Every email of the session (invitations, updates, cancellations, reminders), newest "
                   "first, with where it stands")
def list_invitations(session_id: int) -> InvitationList:
    session = session_or_404(session_id)
    rows = states.session_emails(session.id, now_utc())
    return InvitationList(invitations=[InvitationOut.of(row) for row in rows])


@operation("/sessions/<int:session_id>/invitations/send", "POST", roles=MANAGERS, response=SendNowOut,
           summary="Send the session's waiting emails now (facilitators: their own sessions); an email "
                   "the mail server did not take stays queued with its error")
def send_invitations(session_id: int) -> SendNowOut:
    session = session_or_404(session_id)
    if not session.can_manage(g.user):
        abort(403)
    report = outbox.send_session_now(session.id)
    return SendNowOut(sent=report.sent, failed=report.failed + report.retrying, will_retry=report.retrying,
                      skipped=report.skipped, busy=report.busy, untried=report.untried,
                      errors=report.messages)
