"""Turn an outbox row into an email: decide whether it still applies, then fill in its content.

A message is rendered once, on its first delivery attempt, and its content kept: retries and the
resend after a crash between sending and recording it are byte-identical (same Message-ID, same
Date, same MIME boundaries), so receiving servers and mail clients can drop the duplicate.
Rendering mints the message's own join link; the home-page and feed links are the contact's
current ones, the same in every email (``facilitator.invites.tokens``).

An account email (a password reset) is the exception: its caller writes the content, filled in
here by ``fill_plain`` when the row is queued, so the worker only sends it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import select

from facilitator.clock import as_local
from facilitator.extensions import db
from facilitator.indicators.queries import month_asked
from facilitator.indicators.services import last_month, month_key
from facilitator.invites import events, plan_queries, queries, questionnaire_links
from facilitator.invites.tokens import current_contact_token, mint_join_token
from facilitator.invites.wording import duration_words, plan_lines, session_time, short_when
from facilitator.journey import action_queries
from facilitator.journey.actions import domain_titles
from facilitator.models import (
    Contact,
    LinkKind,
    MeetingSession,
    MessageKind,
    Method,
    OutboxMessage,
    ReminderSend,
    SessionStatus,
)
from facilitator.models.plans import SessionPlan
from facilitator.providers import hub
from integrations.ical import Attendee, EventData, build_cancel, build_download, build_request
from integrations.mailer import OutgoingEmail

PRODID = "-//Facilitator//Peer Support and Learning//EN"


class RenderError(Exception):
    """The message cannot be built (for example the organizer is the recipient): do not retry."""


@dataclass(frozen=True)
class Links:
    home: str
    feed: str
    webcal: str
    reminders: str
    join: str | None = None


def base_url() -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")


def join_url(token: str) -> str:
    return f"{base_url()}/j/{token}"


def home_url(token: str) -> str:
    return f"{base_url()}/h/{token}"


def feed_url(token: str) -> str:
    return f"{base_url()}/feeds/{token}.ics"


def webcal_url(url: str) -> str:
    """The feed as ``webcal://``: iPad and Outlook offer to subscribe when it is tapped."""
    return "webcal://" + url.split("://", 1)[1]


def contact_links(contact: Contact, join_token: str | None = None) -> Links:
    """The contact's home-page and feed links (the same in every email), and a join link."""
    home = home_url(current_contact_token(contact, LinkKind.HOME))
    feed = feed_url(current_contact_token(contact, LinkKind.FEED))
    return Links(home=home, feed=feed, webcal=webcal_url(feed), reminders=f"{home}/reminders",
                 join=join_url(join_token) if join_token else None)


# --------------------------------------------------------------------------- calendar data


def provider_label(session: MeetingSession) -> str:
    """What the join button opens, as the email says it ("Zoom", "the meeting link")."""
    return hub().join_target(session.provider)


def description(session: MeetingSession, now: datetime, home_name: str = "",
                plans: Mapping[int, SessionPlan] | None = None) -> str:
    """The event's DESCRIPTION (plain text; the ical builder escapes it), with the session's plan.
    ``plans``: the plans of many sessions read at once (a feed, a series); else it is read here."""
    lines = [f"{session.group.name}: Peer Support and Learning session"]
    if home_name:
        lines.append(f"For {home_name}")
    lines.append(f"When: {session_time(session, now)}")
    lines += plan_lines(plan_queries.plan_of(session.id) if plans is None else plans.get(session.id))
    if session.dial_in:
        lines.append(f"Join by phone: {session.dial_in}")
    if session.passcode:
        lines.append(f"Passcode: {session.passcode}")
    return "\n".join(lines)


def event_data(session: MeetingSession, link: str | None, now: datetime, *, sequence: int | None = None,
               recipient: str = "", home_name: str = "", organizer: tuple[str, str] | None = None,
               plans: Mapping[int, SessionPlan] | None = None) -> EventData:
    """The session as a calendar event: the UID's one organizer and, unless ``sequence`` is
    given (an email's own, or a feed's read in bulk), the highest SEQUENCE sent for it."""
    try:
        organizer_email, organizer_name = organizer or events.organizer(session, recipient)
    except events.NoOrganizer as exc:
        raise RenderError(str(exc)) from exc
    cancelled = session.status == SessionStatus.CANCELLED
    return EventData(
        uid=session.ical_uid, sequence=events.current_sequence(session) if sequence is None else sequence,
        start=session.starts_at, end=session.ends_at, summary=session.title,
        description=description(session, now, home_name, plans), location_url=link,
        organizer_email=organizer_email, organizer_name=organizer_name,
        status="CANCELLED" if cancelled else "CONFIRMED")


def download_ics(session: MeetingSession, link: str | None, now: datetime, home_name: str = "") -> bytes:
    """A single-event file to add to a calendar by hand (PUBLISH, so no attendee)."""
    return build_download(event_data(session, link, now, home_name=home_name), prodid=PRODID, now=now)


# ---------------------------------------------------------------------------------- render


def render(message: OutboxMessage, now: datetime) -> None:
    """Fill in subject, bodies, calendar and headers (minting the message's join link)."""
    kind = MessageKind(message.kind)
    if kind == MessageKind.ACCOUNT:
        # Written in full when queued; its content is gone once it has failed (it held a one-time link).
        raise RenderError("an account email cannot be built again; the person can ask for a new one")
    contact = message.contact
    assert contact is not None
    if kind == MessageKind.HOME_LINK:
        links = contact_links(contact)
        context = {"contact": contact, "home": contact.home, "links": links}
        subject = f"Your link for {contact.home.name}'s Peer Support and Learning sessions"
        fill_content(message, now, subject, "home_link", context)
        return
    if kind == MessageKind.ACTIONS:
        _render_digest(message, contact, now)
        return
    if kind == MessageKind.INDICATORS:
        _render_indicators(message, contact, now)
        return
    if kind == MessageKind.QUESTIONNAIRE:
        _render_questionnaire(message, contact, now)
        return
    session = message.session
    assert session is not None
    if kind == MessageKind.SUMMARY:
        fill_content(message, now, summary_subject(session, now), "summary",
                     summary_context(session, contact, contact_links(contact), now))
        return
    join_token = mint_join_token(session, contact) if kind != MessageKind.CANCEL else None
    links = contact_links(contact, join_token)
    if kind == MessageKind.REMINDER:
        _render_reminder(message, session, contact, links, now)
    elif kind == MessageKind.MISSED_YOU:
        fill_content(message, now, missed_you_subject(session, now), "missed_you",
                     missed_you_context(session, contact, links, now))
    else:
        _render_calendar(message, session, contact, links, now, kind)


def _context(session: MeetingSession, contact: Contact, links: Links, now: datetime) -> dict[str, object]:
    return {
        "contact": contact, "home": contact.home, "session": session, "group": session.group,
        "when": session_time(session, now), "links": links, "provider": provider_label(session),
        "window": int(current_app.config["JOIN_WINDOW_MINUTES"]),
        "facilitators": queries.facilitators_of(session.group), "apology": apology_url(links, session),
        "plan": plan_queries.plan_of(session.id),
    }


def apology_url(links: Links, session: MeetingSession) -> str:
    """The contact's "We can't make it" page for ``session``, under their home link."""
    return f"{links.home}/sessions/{session.id}/apology"


def missed_you_subject(session: MeetingSession, now: datetime) -> str:
    return f"We missed you: the next session is {short_when(session, now)}"


def missed_you_context(session: MeetingSession, contact: Contact, links: Links,
                       now: datetime) -> dict[str, object]:
    """A follow-up's "We missed you" (the preview renders it with stand-in links)."""
    return _context(session, contact, links, now)


def summary_subject(session: MeetingSession, now: datetime) -> str:
    return f"Summary: {session.title}, {short_when(session, now)}"


def summary_context(session: MeetingSession, contact: Contact, links: Links,
                    now: datetime) -> dict[str, object]:
    """A session's summary as a contact of ``contact.home`` gets it: the text, and that home's
    open actions (the preview renders it with stand-in links)."""
    today = as_local(now).date()
    return {"contact": contact, "home": contact.home, "session": session, "group": session.group,
            "when": session_time(session, now), "links": links, "today": today,
            "summary": plan_queries.summary_of(session.id),
            "actions": action_queries.open_plans([contact.home_id])[contact.home_id],
            "facilitators": queries.facilitators_of(session.group)}


def _render_calendar(message: OutboxMessage, session: MeetingSession, contact: Contact, links: Links,
                     now: datetime, kind: MessageKind) -> None:
    sequence, is_update = events.next_sequence(session, contact.id)
    message.sequence = sequence
    event = event_data(session, links.join, now, sequence=sequence, recipient=message.to_email,
                       home_name=contact.home.name)
    if event.organizer_email.strip().lower() == message.to_email.strip().lower():
        raise RenderError(f"{message.to_email} is this session's calendar organizer, so it cannot "
                          "also be sent the invitation as a guest.")
    attendee = Attendee(message.to_email, contact.name)
    try:
        if kind == MessageKind.CANCEL:
            calendar = build_cancel(event, attendee, prodid=PRODID, now=now)
        else:
            calendar = build_request(event, attendee, prodid=PRODID, now=now)
    except ValueError as exc:
        raise RenderError(f"cannot build the calendar: {exc}") from exc
    context = _context(session, contact, links, now)
    context["is_update"] = is_update
    title, when = session.title, short_when(session, now)
    if kind == MessageKind.CANCEL:
        subject, template, method = f"Cancelled: {title}, {when}", "cancel", Method.CANCEL
    else:
        prefix = "Updated" if is_update else "Invitation"
        subject, template, method = f"{prefix}: {title}, {when}", "request", Method.REQUEST
    fill_content(message, now, subject, template, context, calendar=calendar, method=method.value)


def _render_reminder(message: OutboxMessage, session: MeetingSession, contact: Contact, links: Links,
                     now: datetime) -> None:
    context = _context(session, contact, links, now)
    offset = reminder_offset_of(message)
    context["starts_in"] = duration_words(session.starts_at - now if offset is None else offset)
    headers = {"List-Unsubscribe": f"<{links.reminders}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    subject = f"Reminder: {session.title}, {short_when(session, now)}"
    fill_content(message, now, subject, "reminder", context, headers=headers)


def _render_digest(message: OutboxMessage, contact: Contact, now: datetime) -> None:
    """The owner's overdue actions as they are now, with the home's page (to tick them done)."""
    links = contact_links(contact)
    overdue = action_queries.overdue_for_owner(contact, as_local(now).date())
    context = {"contact": contact, "home": contact.home, "links": links, "actions": overdue,
               "domains": domain_titles()}
    headers = {"List-Unsubscribe": f"<{links.reminders}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    count = f"{len(overdue)} action{'s' if len(overdue) != 1 else ''}"
    fill_content(message, now, f"{contact.home.name}: {count} overdue", "actions_digest", context,
                 headers=headers)


def _render_indicators(message: OutboxMessage, contact: Contact, now: datetime) -> None:
    """The 1st of the month's ask for last month's return, with the link to the form."""
    links = contact_links(contact)
    month = month_asked(message.id) or last_month(as_local(now).date())
    context = {"contact": contact, "home": contact.home, "links": links, "month": month,
               "form_url": f"{links.home}/indicators?month={month_key(month)}"}
    headers = {"List-Unsubscribe": f"<{links.reminders}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    fill_content(message, now, f"{contact.home.name}: your two-minute return for {month.strftime('%B %Y')}",
                 "indicators_reminder", context, headers=headers)


def _render_questionnaire(message: OutboxMessage, contact: Contact, now: datetime) -> None:
    """A contact's personal link to a pre or post questionnaire (the same link in the reminder)."""
    invite = questionnaire_links.invite_of_message(message.id)
    token = invite and questionnaire_links.kept_link(invite)
    if invite is None or token is None:
        raise RenderError("the questionnaire's link is gone (answered or removed)")
    ends = questionnaire_links.link_expires_at(invite)
    questionnaire = invite.round.questionnaire
    reminder = message.reason == questionnaire_links.REMINDER
    links = contact_links(contact)
    context = {"contact": contact, "home": contact.home, "links": links, "questionnaire": questionnaire,
               "url": questionnaire_links.link_url(token), "reminder": reminder,
               "until": as_local(ends).strftime("%-d %B %Y") if ends else ""}
    headers = {"List-Unsubscribe": f"<{links.reminders}>",
               "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"} if reminder else None
    subject = f"{'Reminder: ' if reminder else ''}{questionnaire.title}: a few minutes, no names"
    fill_content(message, now, subject, "questionnaire", context, headers=headers)


def reminder_offset_of(message: OutboxMessage) -> timedelta | None:
    minutes = db.session.scalar(
        select(ReminderSend.offset_minutes).where(ReminderSend.outbox_message_id == message.id))
    return None if minutes is None else timedelta(minutes=minutes)


def fill_content(message: OutboxMessage, now: datetime, subject: str, template: str,
                 context: dict[str, object], *, calendar: bytes | None = None, method: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
    config = current_app.config
    organizer = _reply_organizer(message)
    message.subject = subject[:300]
    message.body_text = render_template(f"invites/email/{template}.txt", **context)
    message.body_html = render_template(f"invites/email/{template}.html", **context)
    message.calendar, message.calendar_method = calendar, method
    message.headers_json = json.dumps({"Auto-Submitted": "auto-generated", **(headers or {})})
    message.from_addr = str(config["MAIL_FROM"])
    message.reply_to = str(config["MAIL_REPLY_TO"] or organizer) or None
    message.rendered_at = now


def _reply_organizer(message: OutboxMessage) -> str:
    """Replies go to the session's organizer when no MAIL_REPLY_TO is set."""
    if message.session is None:
        return ""
    try:
        return events.organizer(message.session, message.to_email)[0]
    except events.NoOrganizer:
        return ""


def fill_plain(message: OutboxMessage, now: datetime, subject: str, text: str, html: str) -> None:
    """An account email's content, exactly as its caller wrote it: text and HTML, no calendar."""
    config = current_app.config
    message.subject = subject[:300]
    message.body_text, message.body_html = text, html
    message.calendar = message.calendar_method = None
    message.headers_json = json.dumps({"Auto-Submitted": "auto-generated"})
    message.from_addr = str(config["MAIL_FROM"])
    message.reply_to = str(config["MAIL_REPLY_TO"] or "") or None
    message.rendered_at = now


def outgoing(message: OutboxMessage) -> OutgoingEmail:
    """The email exactly as rendered (the same bytes on every attempt)."""
    return OutgoingEmail(
        to_email=message.to_email, to_name=message.to_name, subject=message.subject,
        text=message.body_text or "", html=message.body_html or "", message_id=message.message_id,
        from_addr=message.from_addr or str(current_app.config["MAIL_FROM"]), reply_to=message.reply_to,
        calendar=message.calendar, calendar_method=message.calendar_method,
        headers=json.loads(message.headers_json or "{}"), date=message.rendered_at)
