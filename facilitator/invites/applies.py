"""Whether an outbox message still applies, checked before every delivery attempt: the reason it
no longer does (the worker records it and sends nothing), or None."""

from __future__ import annotations

from datetime import datetime

from facilitator.clock import as_local
from facilitator.invites import plan_queries, queries, questionnaire_links, series
from facilitator.journey import action_queries
from facilitator.models import MeetingSession, MessageKind, OutboxMessage, SessionStatus

MOVED_ON = "The contact is inactive or has another address now."


def _moved_on(message: OutboxMessage) -> bool:
    """The message's contact is no longer one to write to at the address it was queued for."""
    return not message.contact.is_active or message.contact.email != message.to_email


def why_skip(message: OutboxMessage, now: datetime) -> str | None:
    """The reason this message no longer applies, or None. Checked before every attempt."""
    kind = MessageKind(message.kind)
    if kind == MessageKind.ACCOUNT:
        return None
    if kind == MessageKind.HOME_LINK:
        return None if message.contact.is_active else "The contact is inactive."
    if kind == MessageKind.ACTIONS:
        return _digest_skip(message, now)
    if kind == MessageKind.MISSED_YOU:
        return _missed_you_skip(message, now)
    if kind == MessageKind.SUMMARY:
        return _summary_skip(message)
    if kind == MessageKind.INDICATORS:
        return _indicators_skip(message)
    if kind == MessageKind.QUESTIONNAIRE:
        return _questionnaire_skip(message, now)
    if message.series_id is not None:
        return series.why_skip(message)
    session = message.session
    if session is None:
        return "The session no longer exists."
    if kind.is_calendar:
        if queries.newer_calendar_message(message):
            return "Replaced by a newer message before it was sent."
        if kind == MessageKind.REQUEST and session.status != SessionStatus.SCHEDULED:
            return "The session was cancelled before the invite was sent."
        return None
    return _reminder_skip(message, session, now)


def _digest_skip(message: OutboxMessage, now: datetime) -> str | None:
    contact = message.contact
    if _moved_on(message):
        return MOVED_ON
    if queries.is_opted_out(contact.id):
        return "The contact stopped reminders."
    if not action_queries.overdue_for_owner(contact, as_local(now).date()):
        return "No overdue actions are left."
    return None


def _indicators_skip(message: OutboxMessage) -> str | None:
    contact = message.contact
    if _moved_on(message):
        return MOVED_ON
    if queries.is_opted_out(contact.id):
        return "The contact stopped reminders."
    return None


def _questionnaire_skip(message: OutboxMessage, now: datetime) -> str | None:
    if _moved_on(message):
        return MOVED_ON
    invite = questionnaire_links.invite_of_message(message.id)
    if invite is None or invite.responded or questionnaire_links.kept_link(invite) is None:
        return "The contact has answered, or the questionnaire is gone."
    ends = questionnaire_links.link_expires_at(invite)
    if ends is None or now >= ends:
        return "The questionnaire's link has stopped working."
    if message.reason == questionnaire_links.REMINDER and queries.is_opted_out(message.contact_id):
        return "The contact stopped reminders."
    return None


def _missed_you_skip(message: OutboxMessage, now: datetime) -> str | None:
    session = message.session
    if _moved_on(message):
        return MOVED_ON
    if session is None or session.status != SessionStatus.SCHEDULED or now >= session.starts_at:
        return "The session it invites to was cancelled or has started."
    return None


def _summary_skip(message: OutboxMessage) -> str | None:
    if _moved_on(message):
        return MOVED_ON
    if message.session is None or plan_queries.summary_of(message.session.id) is None:
        return "The session or its summary no longer exists."
    return None


def _reminder_skip(message: OutboxMessage, session: MeetingSession, now: datetime) -> str | None:
    delivery = queries.delivery(session.id, message.contact_id)
    if session.status != SessionStatus.SCHEDULED:
        return "The session was cancelled."
    if message.reminder_starts_at != session.starts_at:
        return "The session moved to another time."
    if now >= session.starts_at:
        return "The session has started."
    if delivery is None or not delivery.is_invited or delivery.email != message.to_email:
        return "The contact is no longer invited."
    if queries.is_opted_out(message.contact_id):
        return "The contact stopped reminders."
    return None


