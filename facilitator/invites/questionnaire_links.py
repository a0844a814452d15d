"""A contact's link to a questionnaire, ``/q/<token>``, on the contacts' links' rules.

256 random bits, looked up by SHA-256, kept sealed so the reminder can carry it again; single
purpose (only the questionnaire page looks at invites' hashes). It works
``QUESTIONNAIRE_LINK_DAYS`` after it was sent; once answered its sealed copy is dropped, so it
is never sent again, and its page says the answers are in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from facilitator.clock import now_utc
from facilitator.extensions import db
from facilitator.invites.tokens import token_hash, unseal, well_formed
from facilitator.models import QuestionnaireInvite

LINK_PURPOSE = "questionnaire-link"
INVITE, REMINDER = "questionnaire", "questionnaire_remind"  # outbox reasons: 20 characters at most


def link_url(token: str) -> str:
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + f"/q/{token}"


def kept_link(invite: QuestionnaireInvite) -> str | None:
    """The link sent first, to send again; None once answered or when it cannot be opened."""
    return unseal(LINK_PURPOSE, invite.token_ciphertext, invite.token_hash)


def link_expires_at(invite: QuestionnaireInvite) -> datetime | None:
    if invite.sent_at is None:
        return None
    return invite.sent_at + timedelta(days=int(current_app.config["QUESTIONNAIRE_LINK_DAYS"]))


def find_invite(token: str) -> QuestionnaireInvite | None:
    """The invite this link was sent with while it works (answered ones too: their page says so)."""
    if not well_formed(token):
        return None
    invite = db.session.scalar(
        select(QuestionnaireInvite).where(QuestionnaireInvite.token_hash == token_hash(token)))
    if invite is None:
        return None
    ends = link_expires_at(invite)
    return invite if ends is not None and now_utc() < ends else None


def invite_of_message(message_id: int) -> QuestionnaireInvite | None:
    return db.session.scalar(select(QuestionnaireInvite).where(
        (QuestionnaireInvite.outbox_message_id == message_id)
        | (QuestionnaireInvite.reminder_message_id == message_id)))
