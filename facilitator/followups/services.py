"""The rules and writes of a follow-up (flush, never commit): log a contact, snooze, close.

Each write checks all of its fields at once and names each problem by the API's field name
(``channel``, ``contact_id``, ``snooze_until``, ``outcome``…), so a form shows each beside its
field and the API answers 422 naming it. A closed follow-up is history: nothing more is logged
on it, and it is neither snoozed nor closed again.

A snooze lasts until the morning of ``snooze_until`` (in the configured zone); the worker's pass
then returns the follow-up to open (:func:`wake_snoozed`), and the escalation clock starts again
from there (``facilitator.followups.escalation``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import update

from facilitator import queue
from facilitator.clock import local_today, now_utc
from facilitator.errors import FIELDS_INVALID, ConflictError, DomainError
from facilitator.extensions import db
from facilitator.models import (
    Contact,
    FollowUp,
    FollowUpChannel,
    FollowUpContact,
    FollowUpOutcome,
    FollowUpState,
    User,
)
from facilitator.models.base import can_be_row_id

MAX_OUTCOME = 1000
MAX_NEXT_STEP = 500
MAX_NOTE = 500
CHANNELS = tuple(c.value for c in FollowUpChannel)
OUTCOMES = tuple(o.value for o in FollowUpOutcome)
CLOSED = "This follow-up is closed: it can no longer change."


@dataclass(frozen=True)
class ContactData:
    """One logged contact with the home, as typed or sent (the API's names)."""

    channel: str = ""
    contact_id: int | None = None
    outcome: str = ""
    next_step: str = ""
    next_on: date | None = None


def one_of(values: tuple[str, ...]) -> str:
    return "Choose one of: " + ", ".join(values) + "."


def contact_problems(follow_up: FollowUp, data: ContactData) -> dict[str, str]:
    """Every problem with ``data`` as a contact logged on ``follow_up``, by field name."""
    problems: dict[str, str] = {}
    if data.channel not in CHANNELS:
        problems["channel"] = one_of(CHANNELS)
    if data.contact_id is not None:
        contact = db.session.get(Contact, data.contact_id) if can_be_row_id(data.contact_id) else None
        if contact is None or contact.home_id != follow_up.home_id:
            problems["contact_id"] = f"Choose a contact of {follow_up.home.name}."
    outcome = (data.outcome or "").strip()
    if not outcome:
        problems["outcome"] = "Say what came of the contact."
    elif len(outcome) > MAX_OUTCOME:
        problems["outcome"] = f"Keep the outcome to {MAX_OUTCOME} characters."
    if len(data.next_step or "") > MAX_NEXT_STEP:
        problems["next_step"] = f"Keep the next step to {MAX_NEXT_STEP} characters."
    if data.next_on is not None and data.next_on < local_today():
        problems["next_on"] = "The date of the next step cannot be in the past."
    return problems


def still_open(follow_up: FollowUp) -> None:
    if follow_up.state == FollowUpState.CLOSED:
        raise ConflictError(CLOSED, {"state": CLOSED})


def log_contact(follow_up: FollowUp, data: ContactData, *, by: User) -> FollowUpContact:
    """Log one contact with the home; every problem at once as a ``DomainError``. A snoozed
    follow-up stays snoozed: the contact is part of its history either way."""
    still_open(follow_up)
    problems = contact_problems(follow_up, data)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    data = replace(data, outcome=data.outcome.strip(), next_step=(data.next_step or "").strip())
    row = FollowUpContact(follow_up_id=follow_up.id, channel=data.channel, contact_id=data.contact_id,
                          outcome=data.outcome, next_step=data.next_step, next_on=data.next_on,
                          logged_by_id=by.id, logged_at=now_utc())
    db.session.add(row)
    db.session.flush()
    db.session.refresh(follow_up, ["contacts"])
    return row


def change_problems(follow_up: FollowUp, changes: dict[str, Any]) -> dict[str, str]:
    """Every problem with a change of state: ``state`` snoozed (with ``snooze_until``, a day
    after today) or closed (with an ``outcome``), by field name."""
    problems: dict[str, str] = {}
    state = changes.get("state")
    if state not in (FollowUpState.SNOOZED, FollowUpState.CLOSED):
        problems["state"] = one_of((FollowUpState.SNOOZED.value, FollowUpState.CLOSED.value))
    until = changes.get("snooze_until")
    if state == FollowUpState.SNOOZED and until is None:
        problems["snooze_until"] = "Choose the day the snooze ends."
    elif until is not None and until <= local_today():
        problems["snooze_until"] = "Choose a day after today: a snooze cannot end in the past."
    outcome = changes.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        problems["outcome"] = one_of(OUTCOMES)
    elif state == FollowUpState.CLOSED and outcome is None:
        problems["outcome"] = "Choose the outcome to close the follow-up with."
    if len(changes.get("outcome_note") or "") > MAX_NOTE:
        problems["outcome_note"] = f"Keep the note to {MAX_NOTE} characters."
    return problems


def change_state(follow_up: FollowUp, changes: dict[str, Any], *, by: User) -> FollowUp:
    """Snooze or close ``follow_up`` (see :func:`change_problems`)."""
    still_open(follow_up)
    problems = change_problems(follow_up, changes)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    if changes["state"] == FollowUpState.SNOOZED:
        follow_up.state, follow_up.snooze_until = FollowUpState.SNOOZED.value, changes["snooze_until"]
    else:
        follow_up.state, follow_up.outcome = FollowUpState.CLOSED.value, changes["outcome"]
        follow_up.outcome_note = (changes.get("outcome_note") or "").strip()
        follow_up.closed_at, follow_up.closed_by_id = now_utc(), by.id
    db.session.flush()
    return follow_up


def wake_snoozed(today: date | None = None) -> int:
    """Return every follow-up whose snooze has ended to open; returns how many. ``snooze_until``
    stays: the escalation clock starts again on that day."""
    today = today or local_today()
    woken = db.session.execute(
        update(FollowUp).where(FollowUp.state == FollowUpState.SNOOZED, FollowUp.snooze_until <= today)
        .values(state=FollowUpState.OPEN.value).execution_options(synchronize_session=False))
    return woken.rowcount


def mark_missed_you_sent(follow_up: FollowUp, now: datetime) -> bool:
    """Take the once-only "We missed you" for ``follow_up``: True for the one caller that did."""
    not_yet = [FollowUp.missed_you_sent_at.is_(None)]
    won = queue.take(FollowUp, follow_up.id, not_yet, {"missed_you_sent_at": now})
    db.session.refresh(follow_up, ["missed_you_sent_at"])
    return won
