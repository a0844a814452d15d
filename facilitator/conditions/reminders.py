"""Agreement reminders, through the outbox: each at most once per agreement (a ledger row).

* the sponsor, once, when an agreement is still ``sent`` ``AGREEMENT_SPONSOR_REMINDER_DAYS`` after
  it was sent (while its link still works; the same link again);
* the facilitators of the home's groups, ``AGREEMENT_REVIEW_REMINDER_DAYS`` before the review
  date of the home's current (accepted or signed) agreement.

``flask --app facilitator agreements remind`` runs one pass (cron-safe; several at once are fine:
the ledger's unique row decides who queues each reminder).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from facilitator.clock import local_today, now_utc
from facilitator.conditions import agreements, links
from facilitator.extensions import db
from facilitator.models import AGREED_STATUSES, Agreement, AgreementReminder, AgreementStatus

SPONSOR, REVIEW = "sponsor", "review"


def _not_yet(kind: str) -> object:
    return ~select(AgreementReminder.id).where(AgreementReminder.agreement_id == Agreement.id,
                                               AgreementReminder.kind == kind).exists()


def queue_due_reminders() -> int:
    """Queue every reminder that is due; returns how many. Flushes; the caller commits."""
    return _sponsor_reminders() + _review_reminders()


def _sponsor_reminders() -> int:
    now = now_utc()
    waited = timedelta(days=int(current_app.config["AGREEMENT_SPONSOR_REMINDER_DAYS"]))
    lasts = timedelta(days=int(current_app.config["AGREEMENT_LINK_DAYS"]))
    due = db.session.scalars(select(Agreement).where(
        Agreement.status == AgreementStatus.SENT, Agreement.sent_at <= now - waited,
        Agreement.sent_at > now - lasts, Agreement.review_on >= local_today(), _not_yet(SPONSOR)))
    queued = 0
    for agreement in due:
        token = links.kept_link(agreement)
        if token is not None and _record(agreement, SPONSOR):
            agreements.email_sponsor(agreement, token, "sponsor_reminder",
                                     f"Reminder: protected time for {agreement.home.name}")
            queued += 1
    return queued


def _review_reminders() -> int:
    today = local_today()
    ahead = timedelta(days=int(current_app.config["AGREEMENT_REVIEW_REMINDER_DAYS"]))
    due = db.session.scalars(select(Agreement).where(
        Agreement.status.in_(AGREED_STATUSES), Agreement.review_on <= today + ahead,
        Agreement.review_on >= today, _not_yet(REVIEW)))
    queued = 0
    for agreement in due:
        if _record(agreement, REVIEW):
            subject = f"{agreement.home.name}'s protected-time agreement is due for review"
            agreements.email_facilitators(agreement, "review_due", subject)
            queued += 1
    return queued


def _record(agreement: Agreement, kind: str) -> bool:
    """The once-only row; False when another worker queued this reminder first."""
    try:
        with db.session.begin_nested():
            db.session.add(AgreementReminder(agreement_id=agreement.id, kind=kind, created_at=now_utc()))
            db.session.flush()
    except IntegrityError:
        return False
    return True
