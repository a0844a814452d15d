"""The summary's preview: the real email as the first recipient will get it, their own links
standing in (each contact's are made when their email is rendered), and who it goes to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template

from facilitator.invites import render
from facilitator.models import Contact, MeetingSession
from facilitator.plans import services

STAND_IN = render.Links(home="(their own home page link)", feed="", webcal="", reminders="")


@dataclass(frozen=True)
class Preview:
    recipients: list[Contact]
    homes: list[str]
    subject: str
    text: str


def preview(session: MeetingSession, now: datetime) -> Preview:
    """Refuses as sending would (empty, already sent, nobody to send to)."""
    _, people = services.sendable(session, now)
    context = render.summary_context(session, people[0], STAND_IN, now)
    homes = sorted({c.home.name for c in people})
    return Preview(people, homes, render.summary_subject(session, now),
                   render_template("invites/email/summary.txt", **context))
