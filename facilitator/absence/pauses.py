"""A home's pauses (issue 18): periods, both dates included, when the home is not expected at
any session of any of its groups (an outbreak, an inspection).

Reads for the register, the report and the pages: :func:`paused_on` and :func:`pauses_for`.
Writes: :func:`add_pause` (every problem at once, named ``from``, ``to``, ``reason``, ``note``,
as the API names them) and :func:`end_pause`, which ends a pause today, or deletes a pause
that has not started yet (nothing happened under it). A session's day is its local date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.models import User
from facilitator.models.engagement import HomePause, PauseReason

MAX_NOTE = 500
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
RANGE_MESSAGE = "Choose a date between 1 January 2000 and 31 December 2100."
REASONS = tuple(r.value for r in PauseReason)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class PauseInput:
    starts_on: date | None
    ends_on: date | None
    reason: str | None
    note: str = ""


# Reads ---------------------------------------------------------------------------------------

def pauses_for(home_ids: list[int] | set[int], start: date, end: date) -> dict[int, list[HomePause]]:
    """Per home id, its pauses that overlap ``start``–``end`` (both included), earliest first."""
    ids = list(home_ids)
    if not ids:
        return {}
    found: dict[int, list[HomePause]] = {}
    for pause in db.session.scalars(
            select(HomePause).where(HomePause.home_id.in_(ids), HomePause.starts_on <= end,
                                    HomePause.ends_on >= start)
            .order_by(HomePause.starts_on, HomePause.id)):
        found.setdefault(pause.home_id, []).append(pause)
    return found


def paused_on(home_ids: list[int] | set[int], day: date) -> dict[int, HomePause]:
    """The homes among ``home_ids`` paused on ``day``, each with the pause that covers it."""
    return {home_id: pauses[0] for home_id, pauses in pauses_for(home_ids, day, day).items()}


def home_pauses(home_id: int) -> list[HomePause]:
    """All of one home's pauses, latest first (its page and the API)."""
    return list(db.session.scalars(
        select(HomePause).where(HomePause.home_id == home_id)
        .order_by(HomePause.starts_on.desc(), HomePause.id.desc())))


# Writes --------------------------------------------------------------------------------------

def pause_problems(home_id: int, data: PauseInput) -> dict[str, str]:
    """Every problem at once, by the API's field names."""
    problems: dict[str, str] = {}
    for name, day in (("from", data.starts_on), ("to", data.ends_on)):
        if day is None:
            problems[name] = "Enter a date."
        elif not FIRST_DAY <= day <= LAST_DAY:
            problems[name] = RANGE_MESSAGE
    if data.reason not in REASONS:
        problems["reason"] = f"Choose one of: {', '.join(REASONS)}."
    if len(data.note or "") > MAX_NOTE:
        problems["note"] = f"Keep the note to {MAX_NOTE} characters."
    elif _CONTROL.search(data.note or ""):
        problems["note"] = "The note contains characters that cannot be stored."
    if problems or data.starts_on is None or data.ends_on is None:
        return problems
    if data.ends_on < data.starts_on:
        problems["to"] = "The pause must end on or after the day it starts."
    elif clash := pauses_for([home_id], data.starts_on, data.ends_on).get(home_id):
        first = clash[0]
        problems["from"] = (f"This overlaps the home's pause from {first.starts_on:%-d %B %Y} to "
                            f"{first.ends_on:%-d %B %Y}. End or change that one first.")
    return problems


def add_pause(home_id: int, data: PauseInput, user: User | None, now: datetime) -> HomePause:
    """A new pause of the home; :class:`DomainError` naming every field that is wrong. Flushes."""
    if problems := pause_problems(home_id, data):
        raise DomainError("The pause was not saved: please check the dates and the reason.", problems)
    assert data.starts_on is not None and data.ends_on is not None
    pause = HomePause(home_id=home_id, starts_on=data.starts_on, ends_on=data.ends_on, reason=data.reason,
                      note=(data.note or "").strip(), created_by_id=user.id if user else None, created_at=now)
    db.session.add(pause)
    db.session.flush()
    return pause


def end_pause(pause: HomePause, today: date, now: datetime) -> HomePause | None:
    """End the pause today (``ends_on`` today, ``ended_early_at`` now); a pause not started yet is
    deleted (None). A pause already over cannot be ended: :class:`ConflictError`."""
    if pause.ends_on < today:
        raise ConflictError(f"This pause ended on {pause.ends_on:%-d %B %Y}: there is nothing to end.")
    if pause.starts_on > today:
        db.session.delete(pause)
        db.session.flush()
        return None
    if pause.ends_on > today:
        pause.ends_on, pause.ended_early_at = today, now
        db.session.flush()
    return pause
