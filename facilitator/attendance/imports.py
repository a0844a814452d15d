"""Applying an imported attendance report to a register, the queue of people an import could
not place (and the aliases that teaches), and queueing an import. Flush, never commit.

The provider's report is fetched by the import worker (``attendance.worker``) with no
transaction open; what it found is applied here, in one transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, false, or_, select
from sqlalchemy.exc import IntegrityError

from facilitator.attendance import matching
from facilitator.attendance.matching import AliasRef, ContactRef, HomeFigures, MatchContext, Person, Rules
from facilitator.attendance.register import Change, clear_proposal, diff, touch_register
from facilitator.attendance.roster import (
    check_can_record,
    entries_by_home,
    join_evidence,
    member_homes,
    register_of,
    session_day,
)
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import CareHome, Contact, MeetingSession, Membership, User
from facilitator.models.attendance import (
    AliasKind,
    AttendanceAlias,
    AttendanceEntry,
    AttendanceImport,
    AttendanceParticipant,
    AttendanceStatus,
    IgnoredAs,
    ImportState,
)
from facilitator.providers import hub


def rules_from(config: Any) -> Rules:
    return Rules(present_share=float(config["ATTENDANCE_PRESENT_SHARE"]),
                 late_after=timedelta(minutes=float(config["LATE_AFTER_MINUTES"])))


def current_rules() -> Rules:
    return rules_from(current_app.config)


# Applying an import --------------------------------------------------------------------------

@dataclass
class ImportSummary:
    people: int = 0
    matched: int = 0
    ignored: int = 0
    unmatched: int = 0
    changes: list[Change] = field(default_factory=list)  # applied
    proposals: list[Change] = field(default_factory=list)  # would change entries people typed

    def describe(self) -> str:
        parts = [f"{self.people} people seen, {self.matched} matched to homes"]
        if self.unmatched:
            parts.append(f"{self.unmatched} still to assign")
        if self.proposals:
            parts.append(f"{len({c.home_id for c in self.proposals})} typed entries differ (not changed)")
        return "; ".join(parts) + "."


def apply_import(session: MeetingSession, people: Sequence[Person], *, source: str, now: datetime,
                 rules: Rules, overwrite_manual: bool = False, user: User | None = None) -> ImportSummary:
    """Replace the session's participants with ``people``, matched to homes, and bring the
    register up to date. Entries people typed are only changed with ``overwrite_manual``;
    otherwise the difference is kept as a proposal and reported."""
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so there is nothing to import.")
    homes = member_homes(session)
    ctx = match_context(session, homes, people)
    db.session.execute(delete(AttendanceParticipant).where(AttendanceParticipant.session_id == session.id))
    summary = ImportSummary(people=len(people))
    for person in people:
        match = matching.match_person(person, ctx)
        db.session.add(_participant_row(session, person, match, source))
        summary.matched += match.home_id is not None
        summary.ignored += match.ignored_as is not None
        summary.unmatched += match.is_unmatched
    db.session.flush()
    refresh_entries(session, homes, now=now, rules=rules, overwrite_manual=overwrite_manual,
                    summary=summary, fallback_source=source)
    touch_register(session, register_of(session), now, source, user)
    return summary


def _participant_row(session: MeetingSession, person: Person, match: matching.Match,
                     source: str) -> AttendanceParticipant:
    return AttendanceParticipant(
        session_id=session.id, person_key=person.key, name=person.name, email=person.email,
        source=source, intervals=[[a.isoformat(), b.isoformat()] for a, b in person.intervals],
        minutes=round(person.seconds / 60), first_joined_at=person.first_joined_at,
        home_id=match.home_id, contact_id=match.contact_id, matched_by=match.matched_by,
        ignored_as=match.ignored_as)


def match_context(session: MeetingSession, homes: Sequence[CareHome],
                  people: Sequence[Person]) -> MatchContext:
    """Contacts of the member homes, the aliases and staff emails these people might be."""
    day = session_day(session)
    contacts: dict[str, list[ContactRef]] = {}
    rows = db.session.execute(
        select(Contact.id, Contact.home_id, Contact.email, Contact.role)
        .join(Membership, Membership.home_id == Contact.home_id)
        .where(Membership.group_id == session.group_id, Membership.is_member_on(day)))
    for contact_id, home_id, email, role in rows:
        contacts.setdefault(email.strip().lower(), []).append(ContactRef(home_id, contact_id, role))
    emails = {v for p in people if (v := matching.alias_value("email", p.email))}
    names = {v for p in people if (v := matching.alias_value("name", p.name))}
    wanted = [and_(AttendanceAlias.kind == kind.value, AttendanceAlias.value.in_(values))
              for kind, values in ((AliasKind.EMAIL, emails), (AliasKind.NAME, names)) if values]
    found = db.session.scalars(select(AttendanceAlias).where(or_(false(), *wanted))) if wanted else []
    aliases = {(a.kind, a.value): AliasRef(a.home_id, a.ignored_as) for a in found}
    staff = set(db.session.scalars(select(User.email).where(User.email.in_(emails)))) if emails else set()
    return MatchContext(member_home_ids=frozenset(h.id for h in homes),
                        home_names={h.id: h.name for h in homes}, contacts_by_email=contacts,
                        aliases=aliases, staff_emails=frozenset(e.lower() for e in staff))


def person_of(row: AttendanceParticipant) -> Person:
    intervals = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in row.intervals or []]
    return Person(key=row.person_key, name=row.name, email=row.email, intervals=intervals)


def refresh_entries(session: MeetingSession, homes: Sequence[CareHome], *, now: datetime, rules: Rules,
                    overwrite_manual: bool, summary: ImportSummary, fallback_source: str) -> None:
    """Recompute each member home's entry from the participants matched to it."""
    participants = list(db.session.scalars(
        select(AttendanceParticipant).where(AttendanceParticipant.session_id == session.id)))
    roles = dict(db.session.execute(select(Contact.id, Contact.role).where(
        Contact.id.in_({p.contact_id for p in participants if p.contact_id} or {0}))).all())
    by_home: dict[int, list[AttendanceParticipant]] = {}
    for participant in participants:
        if participant.home_id is not None:
            by_home.setdefault(participant.home_id, []).append(participant)
    source = next((p.source for p in participants), fallback_source)
    evidence = join_evidence(session)
    entries = entries_by_home(session)
    for home in homes:
        mine = by_home.get(home.id, [])
        figures = matching.home_figures([person_of(p) for p in mine], [roles.get(p.contact_id) for p in mine],
                                        session.starts_at, session.ends_at, rules)
        entry = entries.get(home.id)
        if entry is None:
            entry = AttendanceEntry(session_id=session.id, home_id=home.id, comment="")
            db.session.add(entry)
        _update_entry(entry, home, figures, has_people=bool(mine), joined_by_link=home.id in evidence,
                      source=source, now=now, overwrite_manual=overwrite_manual, summary=summary)
    db.session.flush()


def _update_entry(entry: AttendanceEntry, home: CareHome, figures: HomeFigures, *, has_people: bool,
                  joined_by_link: bool, source: str, now: datetime, overwrite_manual: bool,
                  summary: ImportSummary) -> None:
    if has_people:
        entry.minutes_attended, entry.first_joined_at = figures.minutes, figures.first_joined_at
    elif not joined_by_link:
        entry.minutes_attended, entry.first_joined_at = 0, None
    if entry.senior_present is None and figures.senior_present is not None:
        entry.senior_present = figures.senior_present
    if entry.status == AttendanceStatus.EXCUSED and not has_people:
        return
    if not has_people and joined_by_link:
        return  # the join link is evidence only once the facilitator confirms it
    target = (figures.status, figures.people if has_people else 0)
    current = (entry.status, entry.staff_count)
    if target == current:
        if not entry.typed_by_person:
            entry.source = source
        clear_proposal(entry)
        return
    if entry.typed_by_person and not overwrite_manual:
        entry.proposed_status, entry.proposed_staff_count = target
        entry.proposed_source = source
        summary.proposals.extend(diff(home, current, target))
        return
    summary.changes.extend(diff(home, current, target))
    entry.status, entry.staff_count = target
    entry.source, entry.recorded_at = source, now
    if overwrite_manual:
        entry.recorded_by_id = None
    clear_proposal(entry)


# The unmatched queue -------------------------------------------------------------------------

def assign_participant(participant: AttendanceParticipant, *, home_id: int | None, ignored_as: str | None,
                       user: User, now: datetime, rules: Rules) -> AttendanceParticipant:
    """Put a person the import could not place with a home, or set them aside (facilitator,
    guest), and remember it as an alias so the next import places them by itself."""
    session = db.session.get(MeetingSession, participant.session_id)
    check_can_record(session, now)
    homes = member_homes(session)
    if ignored_as is not None and ignored_as not in {i.value for i in IgnoredAs}:
        raise DomainError("Choose a home or a reason to set them aside.", {"home_id": "Not a valid choice."})
    if ignored_as is None and home_id not in {h.id for h in homes}:
        raise DomainError("Choose one of the group's homes.",
                          {"home_id": "This home is not a member of the group on the session's date."})
    alias = teach_alias(participant, home_id=home_id, ignored_as=ignored_as, user=user, now=now)
    _place(participant, home_id, ignored_as)
    if alias is not None:
        for other in db.session.scalars(select(AttendanceParticipant).where(
                AttendanceParticipant.session_id == session.id, AttendanceParticipant.id != participant.id,
                AttendanceParticipant.home_id.is_(None), AttendanceParticipant.ignored_as.is_(None))):
            raw = other.email if alias.kind == AliasKind.EMAIL else other.name
            if matching.alias_value(alias.kind, raw) == alias.value:
                _place(other, home_id, ignored_as)
    db.session.flush()
    summary = ImportSummary()
    refresh_entries(session, homes, now=now, rules=rules, overwrite_manual=False, summary=summary,
                    fallback_source=participant.source)
    touch_register(session, register_of(session), now, participant.source, user)
    return participant


def _place(participant: AttendanceParticipant, home_id: int | None, ignored_as: str | None) -> None:
    participant.home_id = None if ignored_as else home_id
    participant.ignored_as = ignored_as
    participant.contact_id = None
    participant.matched_by = "manual"


def teach_alias(participant: AttendanceParticipant, *, home_id: int | None, ignored_as: str | None,
                user: User, now: datetime) -> AttendanceAlias | None:
    """Remember the person's email (or, without one, their display name). Teaching the same
    email or name again replaces what was taught before."""
    kind = AliasKind.EMAIL.value if participant.email else AliasKind.NAME.value
    value = matching.alias_value(kind, participant.email if participant.email else participant.name)
    if not value:
        return None
    alias = db.session.scalar(select(AttendanceAlias).where(AttendanceAlias.kind == kind,
                                                            AttendanceAlias.value == value))
    if alias is None:
        alias = AttendanceAlias(kind=kind, value=value)
        db.session.add(alias)
    alias.home_id = None if ignored_as else home_id
    alias.ignored_as, alias.created_by_id, alias.created_at = ignored_as, user.id, now
    return alias


# Asking for an import ------------------------------------------------------------------------

def check_importable(session: MeetingSession, now: datetime) -> str:
    """The entry source an import of this session writes; refuses sessions that have none."""
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so there is nothing to import.")
    if not hub().imports_attendance(session.provider):
        where = ("a link that was pasted in" if hub().needs_join_url(session.provider)
                 else f"on {hub().label(session.provider)}")
        raise DomainError(f"This session's meeting is {where}: there is no report to import. "
                          "Take the register by hand.")
    if not session.provider_meeting_id:
        raise DomainError("This session has no meeting at the provider yet, so there is no report.")
    if session.starts_at > now:
        raise DomainError("Attendance can be imported once the session has taken place.")
    return session.provider  # an imported entry's source is the provider's name


def queue_import(session: MeetingSession, *, now: datetime, due_at: datetime | None = None,
                 instance_uuid: str | None = None, requested_by: User | None = None,
                 overwrite_manual: bool = False) -> AttendanceImport:
    """Queue (or re-queue) the session's import; one queue row per session."""
    check_importable(session, now)
    job = db.session.scalar(select(AttendanceImport).where(AttendanceImport.session_id == session.id))
    if job is None:
        job = AttendanceImport(session_id=session.id, created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(job)
        except IntegrityError:
            job = db.session.scalar(select(AttendanceImport).where(AttendanceImport.session_id == session.id))
    job.state, job.attempts, job.last_error, job.finished_at = ImportState.QUEUED.value, 0, None, None
    job.next_try_at = due_at or now
    job.instance_uuid = instance_uuid or job.instance_uuid
    job.overwrite_manual = overwrite_manual
    job.requested_by_id = requested_by.id if requested_by else job.requested_by_id
    db.session.flush()
    return job

