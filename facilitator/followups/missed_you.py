""""We missed you": one warm, short email from a follow-up to each active contact of the home,
with the group's next session, the contact's one-tap join link and their apology link.

The facilitator sees a preview first (:func:`preview`, the real template with stand-in links,
since each contact's own links are made when their email is rendered). Sending queues one
outbox message per contact (``MessageKind.MISSED_YOU``: the outbox renders it, minting the join
link, and skips it if the session is cancelled or starts first); it goes once per follow-up,
``missed_you_sent_at`` being the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template

from facilitator.errors import ConflictError, DomainError
from facilitator.followups import queries, services
from facilitator.invites import render
from facilitator.invites.services import new_message
from facilitator.models import Contact, FollowUp, MeetingSession, MessageKind

REASON = "missed_you"
STAND_IN = render.Links(home="(their own home link)", feed="(their own feed link)", webcal="",
                        reminders="(their own reminders link)", join="(their own one-tap join link)")


@dataclass(frozen=True)
class Preview:
    session: MeetingSession
    recipients: list[Contact]
    subject: str
    text: str


def recipients(follow_up: FollowUp) -> list[Contact]:
    return [c for c in follow_up.home.contacts if c.is_active and c.email]


def _checked(follow_up: FollowUp, now: datetime) -> tuple[MeetingSession, list[Contact]]:
    if follow_up.missed_you_sent_at is not None:
        raise ConflictError("“We missed you” was already sent for this follow-up.",
                            {"missed_you_sent_at": follow_up.missed_you_sent_at.isoformat()})
    session = queries.next_session(follow_up, now)
    if session is None:
        raise DomainError("The group has no upcoming session to invite the home to: book one first.",
                          {"session": "No upcoming session."})
    people = recipients(follow_up)
    if not people:
        raise DomainError(f"{follow_up.home.name} has no active contact to write to.",
                          {"contacts": "No active contact."})
    return session, people


def preview(follow_up: FollowUp, now: datetime) -> Preview:
    """The email as the first contact will get it (their links stand in); refuses as ``send`` would."""
    services.still_open(follow_up)
    session, people = _checked(follow_up, now)
    context = render.missed_you_context(session, people[0], STAND_IN, now)
    context["apology"] = "(their own link to say they can't make it)"
    return Preview(session, people, render.missed_you_subject(session, now),
                   render_template("invites/email/missed_you.txt", **context))


def send(follow_up: FollowUp, now: datetime) -> tuple[MeetingSession, list[Contact]]:
    """Queue the email to each active contact of the home, for the group's next session; once
    per follow-up. Flushes."""
    services.still_open(follow_up)
    session, people = _checked(follow_up, now)
    if not services.mark_missed_you_sent(follow_up, now):
        raise ConflictError("“We missed you” was already sent for this follow-up.",
                            {"missed_you_sent_at": "Already sent."})
    for contact in people:
        new_message(MessageKind.MISSED_YOU, REASON, contact, contact.email, session)
    return session, people
