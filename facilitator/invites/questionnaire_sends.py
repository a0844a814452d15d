"""Sending questionnaire rounds through the outbox (issue 20), called by its pass like the other
reminders (``facilitator.invites.indicator_reminder``, the model).

A round is sent on its ``send_on`` day: at once when it is made for today
(``questionnaires.rounds.create_round``), else by the pass on the day. Each active contact of a
home that is a member that day gets an invite (the completion ledger) with a personal link,
``/q/<token>`` (``questionnaire_links``). Non-responders are reminded once,
``QUESTIONNAIRE_REMINDER_DAYS`` after the round was sent, while their link works and unless they
stopped reminders; the invite's conditional update decides which of two passes queues it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select, update

from facilitator.clock import local_today, now_utc
from facilitator.extensions import db
from facilitator.invites import queries
from facilitator.invites.questionnaire_links import INVITE, LINK_PURPOSE, REMINDER
from facilitator.invites.services import new_message
from facilitator.invites.tokens import new_token, seal, token_hash
from facilitator.models import (
    Contact,
    MessageKind,
    QuestionnaireInvite,
    QuestionnaireRound,
    RoundKind,
)

SENT_KINDS = (RoundKind.PRE.value, RoundKind.POST.value)


def queue_due_rounds(today: date | None = None) -> int:
    """The outbox pass: send every round whose day has come; returns how many emails were queued."""
    today = today or local_today()
    due = list(db.session.scalars(select(QuestionnaireRound).where(
        QuestionnaireRound.sent_at.is_(None), QuestionnaireRound.send_on <= today,
        QuestionnaireRound.kind.in_(SENT_KINDS)).with_for_update(skip_locked=True)))
    return sum(send_round(r, today) for r in due)


def send_round(round_: QuestionnaireRound, today: date) -> int:
    """An invite and an email for each contact not yet invited; returns how many."""
    now = now_utc()
    invited = set(db.session.scalars(select(QuestionnaireInvite.contact_id).where(
        QuestionnaireInvite.round_id == round_.id)))
    queued = 0
    for contact in queries.member_contacts_on(today, round_.group_id):
        if contact.id in invited:
            continue
        token = new_token()
        invite = QuestionnaireInvite(
            round_id=round_.id, contact_id=contact.id, token_hash=token_hash(token),
            token_ciphertext=seal(LINK_PURPOSE, token), sent_at=now)
        db.session.add(invite)
        message = new_message(MessageKind.QUESTIONNAIRE, INVITE, contact, contact.email)
        db.session.flush()
        invite.outbox_message_id = message.id
        queued += 1
    round_.sent_at = round_.sent_at or now
    db.session.flush()
    return queued


def queue_questionnaire_reminders(now: datetime | None = None) -> int:
    """Once, to each non-responder whose round was sent the reminder's days ago; returns how many."""
    now = now or now_utc()
    config = current_app.config
    waited = timedelta(days=int(config["QUESTIONNAIRE_REMINDER_DAYS"]))
    lasts = timedelta(days=int(config["QUESTIONNAIRE_LINK_DAYS"]))
    due = db.session.scalars(select(QuestionnaireInvite).where(
        QuestionnaireInvite.responded.is_(False), QuestionnaireInvite.reminder_message_id.is_(None),
        QuestionnaireInvite.token_ciphertext.is_not(None),
        QuestionnaireInvite.sent_at <= now - waited, QuestionnaireInvite.sent_at > now - lasts)
        .order_by(QuestionnaireInvite.id))
    return sum(_remind(invite) for invite in list(due))


def _remind(invite: QuestionnaireInvite) -> int:
    contact = db.session.get(Contact, invite.contact_id)
    if contact is None or not contact.is_active or queries.is_opted_out(contact.id):
        return 0
    with db.session.begin_nested() as nested:
        message = new_message(MessageKind.QUESTIONNAIRE, REMINDER, contact, contact.email)
        db.session.flush()
        claimed = db.session.execute(update(QuestionnaireInvite).where(
            QuestionnaireInvite.id == invite.id, QuestionnaireInvite.reminder_message_id.is_(None))
            .values(reminder_message_id=message.id).execution_options(synchronize_session=False))
        if claimed.rowcount != 1:  # another pass reminded them first
            nested.rollback()
            return 0
    db.session.refresh(invite)
    return 1
