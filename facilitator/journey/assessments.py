"""A home's self-assessment rounds: starting one, rating its domains, finishing it.

Every change is written twice: the round's current rating (``AssessmentRating``) and a line of
history (``AssessmentChange``) naming who made it (a contact through their link, or a user) and
when. Services flush; the request's one commit is the caller's.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from facilitator.clock import local_today, now_utc
from facilitator.errors import FIELDS_INVALID, ConflictError, DomainError
from facilitator.extensions import db
from facilitator.journey.frameworks import current_framework
from facilitator.models import (
    Assessment,
    AssessmentChange,
    AssessmentParticipant,
    AssessmentRating,
    CareHome,
    Contact,
    Framework,
    Membership,
    RatingSource,
    User,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_MESSAGE = "Choose a date between 2000 and 2100."
RATING_MESSAGE = "Choose a rating from 1 to 4."


@dataclass(frozen=True)
class Actor:
    """Who is making a change: a signed-in user or a contact through their link."""

    user: User | None = None
    contact: Contact | None = None


@dataclass
class RatingInput:
    rating: int | None
    evidence: str | None = None


@dataclass
class RoundChanges:
    """What a save asks for; ``completed_on`` is only looked at when ``set_completed``."""

    ratings: dict[str, RatingInput] = field(default_factory=dict)
    source: str | None = None
    started_on: date | None = None
    set_completed: bool = False
    completed_on: date | None = None


def rounds_of(home_id: int) -> list[Assessment]:
    return list(db.session.scalars(
        select(Assessment).where(Assessment.home_id == home_id).order_by(Assessment.round)
        .options(selectinload(Assessment.ratings), selectinload(Assessment.framework))))


def open_round(home_id: int) -> Assessment | None:
    """The home's round still being filled in (not completed), if any."""
    return db.session.scalar(select(Assessment).where(
        Assessment.home_id == home_id, Assessment.completed_on.is_(None)).order_by(Assessment.round.desc()))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_round_due(home_id: int) -> date | None:
    """Round 1 is due when the home joins its first group; each next one
    ``ASSESSMENT_INTERVAL_MONTHS`` after the previous round started. None: never in a group."""
    last = db.session.scalar(select(func.max(Assessment.started_on)).where(Assessment.home_id == home_id))
    if last is not None:
        return add_months(last, int(current_app.config["ASSESSMENT_INTERVAL_MONTHS"]))
    return db.session.scalar(select(func.min(Membership.joined_on)).where(Membership.home_id == home_id))


def start_round(home: CareHome, actor: Actor, started_on: date | None = None,
                framework: Framework | None = None, source: str = RatingSource.ONLINE) -> Assessment:
    """The home's next round, with the newest framework unless one is given; refused while a
    round is still open (finish it first)."""
    started_on = started_on or local_today()
    if not _date_ok(started_on):
        raise DomainError(FIELDS_INVALID, {"started_on": DATE_MESSAGE})
    if open_round(home.id) is not None:
        raise ConflictError("This home has a round still open: finish it first.",
                            {"started_on": "A round is still open."})
    number = db.session.scalar(select(func.max(Assessment.round)).where(Assessment.home_id == home.id))
    assessment = Assessment(home_id=home.id, framework=framework or current_framework(),
                            round=(number or 0) + 1, started_on=started_on, source=str(source))
    db.session.add(assessment)
    db.session.flush()
    _record(assessment, actor, "started", source=str(source))
    return assessment


def change_round(assessment: Assessment, changes: RoundChanges, actor: Actor) -> Assessment:
    """Apply ratings, source and completion together after checking every one of them."""
    problems = check_changes(assessment, changes)
    if problems:
        raise DomainError(FIELDS_INVALID, problems)
    if changes.source is not None and changes.source != assessment.source:
        assessment.source = changes.source
        _record(assessment, actor, "source", source=changes.source)
    if changes.started_on is not None:
        assessment.started_on = changes.started_on
    source = changes.source or assessment.source
    for key, wanted in changes.ratings.items():
        _rate(assessment, key, wanted, source, actor)
    if changes.set_completed:
        _complete(assessment, changes.completed_on, actor)
    db.session.flush()
    return assessment


def check_changes(assessment: Assessment, changes: RoundChanges) -> dict[str, str]:
    """Every problem at once, by field name (``ratings.<key>.rating`` and so on)."""
    problems: dict[str, str] = {}
    keys = set(assessment.framework.domain_keys())
    for key, wanted in changes.ratings.items():
        if key not in keys:
            problems[f"ratings.{key}"] = "No such domain in this round's framework."
        elif wanted.rating is not None and not 1 <= wanted.rating <= 4:
            problems[f"ratings.{key}.rating"] = RATING_MESSAGE
    if changes.source is not None and changes.source not in set(RatingSource):
        problems["source"] = "Choose online, paper or visit."
    started, done = changes.started_on or assessment.started_on, changes.completed_on
    if not _date_ok(started):
        problems["started_on"] = DATE_MESSAGE
    if changes.set_completed and done is not None:
        if not _date_ok(done):
            problems["completed_on"] = DATE_MESSAGE
        elif done < started:
            problems["completed_on"] = "A round cannot be completed before it started."
    return problems


def finish_round(assessment: Assessment, actor: Actor) -> None:
    """"Finish": the round is completed today (it stays open to no one but staff)."""
    change_round(assessment, RoundChanges(set_completed=True, completed_on=local_today()), actor)


def _rate(assessment: Assessment, key: str, wanted: RatingInput, source: str, actor: Actor) -> None:
    row = assessment.rating_for(key)
    evidence = row.evidence if wanted.evidence is None and row else (wanted.evidence or "").strip()
    if row is None and wanted.rating is None and not evidence:
        return  # a domain left blank stays without a row (the paper form sends every domain)
    if row is not None and row.rating == wanted.rating and row.evidence == evidence:
        return
    if row is None:
        row = AssessmentRating(domain_key=key)
        assessment.ratings.append(row)
    row.rating, row.evidence, row.source, row.changed_at = wanted.rating, evidence, source, now_utc()
    row.changed_by_user_id = actor.user.id if actor.user else None
    row.changed_by_contact_id = actor.contact.id if actor.contact else None
    _record(assessment, actor, "rating", source=source, domain_key=key, rating=wanted.rating,
            evidence=evidence)
    if actor.contact is not None:
        _took_part(assessment, actor.contact)


def _complete(assessment: Assessment, on: date | None, actor: Actor) -> None:
    if assessment.completed_on == on:
        return
    assessment.completed_on = on
    _record(assessment, actor, "completed" if on else "reopened", source=assessment.source)


def _took_part(assessment: Assessment, contact: Contact) -> None:
    if all(p.contact_id != contact.id for p in assessment.participants):
        assessment.participants.append(AssessmentParticipant(contact_id=contact.id))


def _record(assessment: Assessment, actor: Actor, kind: str, *, source: str, domain_key: str | None = None,
            rating: int | None = None, evidence: str | None = None) -> None:
    db.session.add(AssessmentChange(
        assessment_id=assessment.id, kind=kind, domain_key=domain_key, rating=rating, evidence=evidence,
        source=source, changed_at=now_utc(), user_id=actor.user.id if actor.user else None,
        contact_id=actor.contact.id if actor.contact else None))


@dataclass(frozen=True)
class ChangeLine:
    round: int
    change: AssessmentChange
    who: str


def home_history(home_id: int, limit: int = 50) -> list[ChangeLine]:
    """The home's latest changes to its rounds, newest first, each with who made it."""
    rows = db.session.execute(
        select(Assessment.round, AssessmentChange, User.name, Contact.name)
        .join(Assessment, Assessment.id == AssessmentChange.assessment_id)
        .outerjoin(User, User.id == AssessmentChange.user_id)
        .outerjoin(Contact, Contact.id == AssessmentChange.contact_id)
        .where(Assessment.home_id == home_id).order_by(AssessmentChange.id.desc()).limit(limit))
    return [ChangeLine(number, change, f"{contact} (their link)" if contact else user or "Not recorded")
            for number, change, user, contact in rows]


def participants(home_id: int) -> dict[int, list[str]]:
    """Who took part in each of the home's rounds (contacts who saved through their link), by
    round id."""
    found: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(AssessmentParticipant.assessment_id, Contact.name)
        .join(Contact, Contact.id == AssessmentParticipant.contact_id)
        .join(Assessment, Assessment.id == AssessmentParticipant.assessment_id)
        .where(Assessment.home_id == home_id).order_by(Contact.name))
    for assessment_id, name in rows:
        found.setdefault(assessment_id, []).append(name)
    return found


def _date_ok(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR
