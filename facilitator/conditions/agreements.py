"""Writes for protected-time agreements: draft, send to the sponsor, accept, sign on paper.

Each flushes and never commits; its emails ride in the same transaction through the outbox
(``queue_plain_email``), so a sponsor is never sent a link that was not saved. Accepting or
recording a signed one supersedes the home's earlier agreed ones: a home has one current
agreement. ``record_agreed_on`` keeps the old ``protected_time_agreed_on`` field writable (the
homes form and API): a date typed there is an accepted agreement with ``source`` "recorded".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, render_template
from sqlalchemy import select, update

from facilitator.clock import FIRST_DAY, LAST_DAY, as_local, local_today, now_utc
from facilitator.conditions import links, recipients
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.invites.services import queue_plain_email
from facilitator.models import (
    AGREED_STATUSES,
    Agreement,
    AgreementSource,
    AgreementStatus,
    CareHome,
    Contact,
    ContactRole,
    User,
)
from facilitator.recurrence import add_months

SPONSOR_ROLES = (ContactRole.SENIOR_MANAGER.value, ContactRole.MANAGER.value)
MAX_HOURS = 744  # the hours in a month


@dataclass(frozen=True)
class AgreementData:
    psl_hours_per_month: float
    implementation_hours_per_month: float
    task_hours_per_month: float
    starts_on: date
    review_on: date | None = None
    sponsor_contact_id: int | None = None
    sponsor_name: str = ""
    sponsor_email: str = ""
    text: str | None = None


def review_date(starts_on: date) -> date:
    return add_months(starts_on, int(current_app.config["AGREEMENT_REVIEW_MONTHS"]))


def default_text(home: CareHome, agreement: Agreement) -> str:
    """What the agreement covers, in plain words, with its figures filled in."""
    return render_template("conditions/agreement_text.txt", home=home, agreement=agreement).strip()


def sponsor_problems(home: CareHome, data: AgreementData) -> dict[str, str]:
    """What is wrong with the sponsor, by field (nothing changes): a contact of the home who is an
    active manager or senior manager, or else a name and an email."""
    if data.sponsor_contact_id is not None:
        contact = db.session.get(Contact, data.sponsor_contact_id)
        if contact is None or contact.home_id != home.id:
            return {"sponsor_contact_id": "Not a contact of this home."}
        if contact.role not in SPONSOR_ROLES or not contact.is_active:
            return {"sponsor_contact_id": "Choose an active manager or senior manager."}
        return {}
    problems = {}
    if not data.sponsor_name.strip():
        problems["sponsor_name"] = "Name the sponsor, or choose a contact of the home."
    if "@" not in data.sponsor_email:
        problems["sponsor_email"] = "Enter the sponsor's email address."
    return problems


def _sponsor(home: CareHome, data: AgreementData) -> tuple[Contact | None, str, str]:
    problems = sponsor_problems(home, data)
    if problems:
        chosen = "sponsor_contact_id" in problems
        raise DomainError("The sponsor must be an active manager or senior manager of this home." if chosen
                          else "Name the senior sponsor.", problems)
    if data.sponsor_contact_id is not None:
        contact = db.session.get(Contact, data.sponsor_contact_id)
        return contact, contact.name, contact.email
    return None, data.sponsor_name.strip(), data.sponsor_email.strip().lower()


def agreement_problems(data: AgreementData) -> dict[str, str]:
    """Every problem with the figures and dates at once (the sponsor is checked on its own)."""
    problems = {}
    for name in ("psl_hours_per_month", "implementation_hours_per_month", "task_hours_per_month"):
        hours = getattr(data, name)
        if not 0 <= hours <= MAX_HOURS:
            problems[name] = f"Enter hours from 0 to {MAX_HOURS}."
    for name in ("starts_on", "review_on"):
        day = getattr(data, name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            problems[name] = "Choose a date between 1900 and 2999."
    if data.review_on is not None and data.review_on < data.starts_on:
        problems["review_on"] = "The review date cannot be before the start date."
    return problems


def create_agreement(home: CareHome, data: AgreementData, actor: User | None) -> Agreement:
    """A draft agreement; its text from the template unless one is given."""
    problems = agreement_problems(data)
    if problems:
        raise DomainError("Some fields are not valid.", problems)
    contact, name, email = _sponsor(home, data)
    agreement = Agreement(
        home_id=home.id, home=home, status=AgreementStatus.DRAFT.value, source=AgreementSource.ONLINE.value,
        sponsor_contact=contact, sponsor_name=name, sponsor_email=email,
        psl_hours_per_month=data.psl_hours_per_month,
        implementation_hours_per_month=data.implementation_hours_per_month,
        task_hours_per_month=data.task_hours_per_month, starts_on=data.starts_on,
        review_on=data.review_on or review_date(data.starts_on), created_by=actor, created_at=now_utc())
    agreement.text = data.text.strip() if data.text and data.text.strip() else default_text(home, agreement)
    db.session.add(agreement)
    db.session.flush()
    return agreement


def _refuse_unless_open(agreement: Agreement, action: str) -> None:
    state = agreement.state(local_today())
    if state not in (AgreementStatus.DRAFT, AgreementStatus.SENT):
        raise DomainError(f"This agreement is {state.label.lower()}: it cannot be {action}.",
                          {"status": f"The agreement is {state.value}."})


def send_agreement(agreement: Agreement) -> Agreement:
    """Email the sponsor a new personal link (a second send replaces the first link)."""
    _refuse_unless_open(agreement, "sent")
    token = links.mint_link(agreement, now_utc())
    agreement.status = AgreementStatus.SENT.value
    email_sponsor(agreement, token, "sponsor_request",
                   f"Protected time for {agreement.home.name}: please read and agree")
    db.session.flush()
    return agreement


def email_sponsor(agreement: Agreement, token: str, template: str, subject: str) -> None:
    context = {"agreement": agreement, "home": agreement.home, "url": links.link_url(token),
               "days": int(current_app.config["AGREEMENT_LINK_DAYS"])}
    queue_plain_email(to_email=agreement.sponsor_email, to_name=agreement.sponsor_name, subject=subject,
                      text=render_template(f"conditions/email/{template}.txt", **context),
                      html=render_template(f"conditions/email/{template}.html", **context))


def email_facilitators(agreement: Agreement, template: str, subject: str) -> int:
    """Tell the facilitators of the home's groups (else whoever drafted it); returns how many."""
    people = recipients.facilitators_of_home(agreement.home_id, local_today()) or (
        [agreement.created_by] if agreement.created_by and agreement.created_by.is_active else [])
    for user in people:
        context = {"agreement": agreement, "home": agreement.home, "user": user,
                   "url": str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
                   + f"/api/v1/homes/{agreement.home_id}/agreements"}
        queue_plain_email(to_email=user.email, to_name=user.name, subject=subject,
                          text=render_template(f"conditions/email/{template}.txt", **context),
                          html=render_template(f"conditions/email/{template}.html", **context))
    return len(people)


def accept_agreement(agreement: Agreement, typed_name: str, address: str) -> Agreement:
    """The sponsor pressed "I agree" on their link's page."""
    if agreement.state(local_today()) != AgreementStatus.SENT:
        raise DomainError("This agreement is no longer waiting for an answer.",
                          {"status": f"The agreement is {agreement.state(local_today()).value}."})
    name = " ".join(typed_name.split())
    if not name:
        raise DomainError("Type your name to agree.", {"name": "Type your full name."})
    now = now_utc()
    _agreed(agreement, AgreementStatus.ACCEPTED, as_local(now).date(), name[:200])
    agreement.accepted_at, agreement.accepted_ip = now, address[:64]
    email_facilitators(agreement, "accepted", f"{agreement.home.name} accepted its protected-time agreement")
    db.session.flush()
    return agreement


def record_paper(agreement: Agreement, signed_on: date, signed_by: str) -> Agreement:
    """The facilitator records the letter that came back signed."""
    _refuse_unless_open(agreement, "recorded as signed")
    problems = paper_problems(signed_on, signed_by)
    if problems:
        raise DomainError("Some fields are not valid.", problems)
    _agreed(agreement, AgreementStatus.SIGNED_ON_PAPER, signed_on, " ".join(signed_by.split())[:200])
    db.session.flush()
    return agreement


def paper_problems(signed_on: date | None, signed_by: str) -> dict[str, str]:
    """Every problem with a signed letter's record at once (None: no day given)."""
    problems = {}
    if not " ".join(signed_by.split()):
        problems["signed_by"] = "Enter who signed it."
    if signed_on is None or not FIRST_DAY <= signed_on <= local_today():
        problems["signed_on"] = "Enter the day it was signed (not in the future)."
    return problems


def _agreed(agreement: Agreement, status: AgreementStatus, on: date, by: str) -> None:
    db.session.execute(
        update(Agreement).where(Agreement.home_id == agreement.home_id, Agreement.id != agreement.id,
                                Agreement.status.in_(AGREED_STATUSES))
        .values(status=AgreementStatus.SUPERSEDED.value).execution_options(synchronize_session="fetch"))
    agreement.status, agreement.agreed_on, agreement.accepted_by = status.value, on, by
    links.drop_link(agreement)
    db.session.flush()
    db.session.expire(agreement.home, ["protected_time_agreed_on"])


def record_agreed_on(home: CareHome, day: date | None) -> None:
    """The old field written: a date becomes (or moves) the home's recorded agreement; no date
    withdraws the recorded ones (agreements accepted by a sponsor stay). The date it already
    shows changes nothing (the homes form sends every field back)."""
    db.session.flush()
    if home.id is not None and day == home.protected_time_agreed_on:
        return
    recorded = db.session.scalars(select(Agreement).where(
        Agreement.home_id == home.id, Agreement.source == AgreementSource.RECORDED,
        Agreement.status.in_(AGREED_STATUSES))).all()
    if day is None:
        for agreement in recorded:
            db.session.delete(agreement)
    elif recorded:
        recorded[0].agreed_on = recorded[0].starts_on = day
        recorded[0].review_on = review_date(day)
    else:
        agreement = Agreement(
            home_id=home.id, home=home, source=AgreementSource.RECORDED.value, starts_on=day,
            review_on=review_date(day), created_at=now_utc(),
            text=f"Protected time was agreed with the home's leadership on {day:%d %B %Y}.")
        db.session.add(agreement)
        _agreed(agreement, AgreementStatus.ACCEPTED, day, "")
    db.session.flush()
    db.session.expire(home, ["protected_time_agreed_on"])
