"""Writes for attendance: the register rules, applying an import, the unmatched queue and what
it teaches, and queueing imports. Flush, never commit; no ``request`` or ``flash`` here.

Every write to a session's register goes through :func:`_touch_register`, which raises the
register's version and keeps a revision of the entries, so a save that started from an older
version is refused with a list of what changed in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import and_, delete, false, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from facilitator.attendance import matching
from facilitator.attendance.matching import (
    AliasRef,
    ContactRef,
    HomeFigures,
    MatchContext,
    Person,
    Rules,
)
from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.models import CareHome, Contact, MeetingSession, Membership, User
from facilitator.models.attendance import (
    AliasKind,
    AttendanceAlias,
    AttendanceEntry,
    AttendanceImport,
    AttendanceParticipant,
    AttendanceRegister,
    AttendanceRevision,
    AttendanceStatus,
    EngagementRating,
    EntrySource,
    IgnoredAs,
    ImportState,
)
from facilitator.models.invites import JoinRecord

STATUSES = tuple(s.value for s in AttendanceStatus)
IMPORTABLE = {"zoom": EntrySource.ZOOM.value, "teams": EntrySource.TEAMS.value}
MAX_STAFF = 500
MAX_COMMENT = 280
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a revision remembers of each entry (the things a person can type).
TRACKED = ("status", "staff_count", "engagement", "comment", "senior_present")
FIELD_LABELS = {"status": "status", "staff_count": "staff", "engagement": "engagement",
                "comment": "comment", "senior_present": "manager or team leader present"}


def rules_from(config: Any) -> Rules:
    return Rules(present_share=float(config["ATTENDANCE_PRESENT_SHARE"]),
                 late_after=timedelta(minutes=float(config["LATE_AFTER_MINUTES"])))


def current_rules() -> Rules:
    return rules_from(current_app.config)


# Who is on a register ------------------------------------------------------------------------

def session_day(session: MeetingSession) -> date:
    """The session's date where it happens (membership is by date)."""
    return session.starts_at.astimezone(ZoneInfo(session.timezone)).date()


def member_filter(group_id: int, day: date) -> Any:
    return and_(Membership.group_id == group_id, Membership.joined_on <= day,
                or_(Membership.left_on.is_(None), Membership.left_on > day))


def member_homes(session: MeetingSession) -> list[CareHome]:
    """Every home that was a member of the session's group on the session's date."""
    return list(db.session.scalars(
        select(CareHome).join(Membership, Membership.home_id == CareHome.id)
        .where(member_filter(session.group_id, session_day(session)))
        .order_by(CareHome.name, CareHome.id).distinct()))


def entries_by_home(session: MeetingSession) -> dict[int, AttendanceEntry]:
    rows = db.session.scalars(select(AttendanceEntry).where(AttendanceEntry.session_id == session.id))
    return {e.home_id: e for e in rows}


def register_of(session: MeetingSession) -> AttendanceRegister | None:
    return db.session.scalar(select(AttendanceRegister).where(AttendanceRegister.session_id == session.id))


def check_can_record(session: MeetingSession, now: datetime) -> None:
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so it has no register.")
    if session.starts_at > now:
        raise DomainError("The register opens when the session starts.")


# Saving the register by hand -----------------------------------------------------------------

class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class RowInput:
    """One home's line of the register as a person typed it."""

    home_id: int
    status: str | None
    staff_count: int | None = None
    engagement: int | None = None
    comment: str = ""
    senior_present: bool | None = UNSET
    confirm_join: bool = False  # "present: they opened the join link" (the facilitator confirms)


@dataclass(frozen=True)
class Change:
    home_id: int
    home_name: str
    field: str
    before: Any
    after: Any
    by: str | None = None

    def describe(self) -> str:
        label = FIELD_LABELS.get(self.field, self.field)
        who = f" by {self.by}" if self.by else ""
        return f"{self.home_name}: {label} changed from {_show(self.before)} to {_show(self.after)}{who}"

    def as_dict(self) -> dict[str, Any]:
        return {"home_id": self.home_id, "home_name": self.home_name, "field": self.field,
                "before": self.before, "after": self.after, "by": self.by}


def _show(value: Any) -> str:
    if value is None or value == "":
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in STATUSES:
        return AttendanceStatus(value).label.lower()
    return repr(value) if isinstance(value, str) else str(value)


class RegisterConflict(ConflictError):
    """Someone saved the register after the version the caller started from."""

    def __init__(self, version: int, changes: list[Change], fields: dict[str, str]) -> None:
        who = sorted({c.by for c in changes if c.by})
        by = f" by {', '.join(who)}" if who else ""
        super().__init__(f"This register was saved{by} after you opened it. Nothing of yours was "
                         "saved: check what changed, then save again.", fields)
        self.version = version
        self.changes = changes


def validate_rows(rows: Sequence[RowInput], member_ids: set[int]) -> None:
    """All or nothing: every problem of every row, named ``[index].field``."""
    fields: dict[str, str] = {}
    seen: set[int] = set()
    for index, row in enumerate(rows):
        for name, problem in _row_problems(row, member_ids, seen).items():
            fields.setdefault(f"[{index}].{name}", problem)
        seen.add(row.home_id)
    if fields:
        raise DomainError("Some lines of the register are not valid: nothing was saved.", fields)


def _row_problems(row: RowInput, member_ids: set[int], seen: set[int]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if row.home_id not in member_ids:
        problems["home_id"] = "This home is not a member of the group on the session's date."
    elif row.home_id in seen:
        problems["home_id"] = "This home is listed twice."
    if row.status is not None and row.status not in STATUSES:
        problems["status"] = f"Choose one of: {', '.join(STATUSES)}."
    if row.staff_count is not None and not 0 <= row.staff_count <= MAX_STAFF:
        problems["staff_count"] = f"Enter a number from 0 to {MAX_STAFF}."
    elif row.staff_count and row.status in ("absent", "excused"):
        problems["staff_count"] = "A home that was absent or excused had no staff taking part."
    if row.engagement is not None and row.engagement not in {r.value for r in EngagementRating}:
        problems["engagement"] = "Choose a rating from 1 to 4."
    elif row.engagement is not None and row.status in ("absent", "excused", None):
        problems["engagement"] = "Only a home that took part can have an engagement rating."
    if len(row.comment or "") > MAX_COMMENT:
        problems["comment"] = f"Keep the comment to {MAX_COMMENT} characters."
    elif CONTROL.search(row.comment or ""):
        problems["comment"] = "The comment contains characters that cannot be stored."
    return problems


def save_register(session: MeetingSession, rows: Sequence[RowInput], *, expected_version: int,
                  user: User, now: datetime) -> AttendanceRegister:
    """Apply a person's register. ``expected_version`` is the version they started from (0 when
    there was no register yet); any other current version is a :class:`RegisterConflict`."""
    check_can_record(session, now)
    homes = {h.id: h for h in member_homes(session)}
    validate_rows(rows, set(homes))
    register = register_of(session)
    current = register.version if register else 0
    if expected_version != current:
        raise conflict_since(session, expected_version, rows)
    entries = entries_by_home(session)
    for row in rows:
        entry = entries.get(row.home_id)
        if entry is None:
            entry = entries[row.home_id] = AttendanceEntry(session_id=session.id, home_id=row.home_id,
                                                           comment="")
            db.session.add(entry)
        _apply_row(entry, row, user, now)
    try:
        return _touch_register(session, register, now, EntrySource.MANUAL.value, user, taken=True)
    except (StaleDataError, IntegrityError):
        db.session.rollback()
        raise conflict_since(session, expected_version, rows) from None


def _apply_row(entry: AttendanceEntry, row: RowInput, user: User, now: datetime) -> None:
    status = AttendanceStatus.PRESENT.value if row.confirm_join and row.status is None else row.status
    senior = entry.senior_present if row.senior_present is UNSET else row.senior_present
    typed = (status, row.staff_count, senior) != (entry.status, entry.staff_count, entry.senior_present)
    noted = (row.engagement, row.comment or "") != (entry.engagement, entry.comment or "")
    if row.confirm_join and status == AttendanceStatus.PRESENT:
        entry.source = EntrySource.JOIN_LINK.value
    elif typed:
        entry.source = EntrySource.MANUAL.value if status is not None else None
    if typed or noted or row.confirm_join:
        entry.status, entry.staff_count, entry.senior_present = status, row.staff_count, senior
        entry.engagement, entry.comment = row.engagement, (row.comment or "").strip()
        entry.recorded_by_id, entry.recorded_at = user.id, now
    if typed or row.confirm_join:
        _clear_proposal(entry)


def _clear_proposal(entry: AttendanceEntry) -> None:
    entry.proposed_status = entry.proposed_staff_count = entry.proposed_source = None


def snapshot(entries: Iterable[AttendanceEntry]) -> dict[str, dict[str, Any]]:
    return {str(e.home_id): {name: getattr(e, name) for name in TRACKED} for e in entries}


def _touch_register(session: MeetingSession, register: AttendanceRegister | None, now: datetime,
                    source: str, user: User | None, taken: bool = False) -> AttendanceRegister:
    """Raise the register's version (creating it at version 1) and keep a revision."""
    if register is None:
        register = AttendanceRegister(session_id=session.id, created_at=now)
        db.session.add(register)
    register.updated_at = now
    flag_modified(register, "updated_at")  # an UPDATE (and a new version) even at the same instant
    if taken:
        register.taken_at, register.taken_by_id = now, user.id if user else None
    else:
        register.imported_at = now
    db.session.flush()
    entries = db.session.scalars(select(AttendanceEntry).where(AttendanceEntry.session_id == session.id))
    db.session.add(AttendanceRevision(register_id=register.id, version=register.version, source=source,
                                      entries=snapshot(entries), saved_by_id=user.id if user else None,
                                      saved_at=now))
    db.session.flush()
    return register


def conflict_since(session: MeetingSession, version: int, rows: Sequence[RowInput] = ()) -> RegisterConflict:
    """What changed after ``version``, and by whom, as a conflict naming the caller's rows."""
    register = register_of(session)
    current = register.version if register else 0
    revisions = [] if register is None else list(db.session.scalars(
        select(AttendanceRevision).where(AttendanceRevision.register_id == register.id,
                                         AttendanceRevision.version >= version)
        .order_by(AttendanceRevision.version)))
    before = revisions[0].entries if revisions and revisions[0].version == version else {}
    after = snapshot(entries_by_home(session).values())
    later = [r for r in revisions if r.version > version]
    names = _user_names({r.saved_by_id for r in later if r.saved_by_id})
    by = ", ".join(sorted({names.get(r.saved_by_id) or _source_name(r.source) for r in later})) or None
    homes = {h.id: h.name for h in member_homes(session)}
    changes = []
    for key in sorted(set(before) | set(after), key=int):
        old, new = before.get(key, {}), after.get(key, {})
        for name in TRACKED:
            if old.get(name) != new.get(name):
                changes.append(Change(int(key), homes.get(int(key), f"Home {key}"), name,
                                      old.get(name), new.get(name), by))
    rows_at = {row.home_id: index for index, row in enumerate(rows)}
    fields = {}
    for change in changes:
        index = rows_at.get(change.home_id)
        where = f"[{index}]" if index is not None else f"home_id={change.home_id}"
        name = f"{where}.{change.field}"
        fields[name] = f"Changed since version {version}: {change.describe()}."
    return RegisterConflict(current, changes, fields)


def _source_name(source: str) -> str:
    return {"zoom": "the Zoom import", "teams": "the Teams import"}.get(source, "someone")


def _user_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


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
    _touch_register(session, register_of(session), now, source, user)
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
        .where(member_filter(session.group_id, day)))
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


def join_evidence(session: MeetingSession) -> dict[int, list[JoinRecord]]:
    """Join-link opens while the meeting could be joined (scanners and HEAD never get here)."""
    records: dict[int, list[JoinRecord]] = {}
    for record in db.session.scalars(select(JoinRecord).where(
            JoinRecord.session_id == session.id, JoinRecord.in_window.is_(True))
            .order_by(JoinRecord.joined_at)):
        records.setdefault(record.home_id, []).append(record)
    return records


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
        _clear_proposal(entry)
        return
    if entry.typed_by_person and not overwrite_manual:
        entry.proposed_status, entry.proposed_staff_count = target
        entry.proposed_source = source
        summary.proposals.extend(_diff(home, current, target))
        return
    summary.changes.extend(_diff(home, current, target))
    entry.status, entry.staff_count = target
    entry.source, entry.recorded_at = source, now
    if overwrite_manual:
        entry.recorded_by_id = None
    _clear_proposal(entry)


def _diff(home: CareHome, current: tuple[Any, Any], target: tuple[Any, Any]) -> list[Change]:
    return [Change(home.id, home.name, name, old, new)
            for name, old, new in zip(("status", "staff_count"), current, target, strict=True) if old != new]


def accept_proposals(session: MeetingSession, *, user: User, now: datetime) -> list[Change]:
    """Take what the import found for the entries people had typed differently."""
    check_can_record(session, now)
    register = register_of(session)
    homes = {h.id: h for h in member_homes(session)}
    changes: list[Change] = []
    for entry in entries_by_home(session).values():
        if not entry.has_proposal or entry.home_id not in homes:
            continue
        target = (entry.proposed_status, entry.proposed_staff_count)
        changes.extend(_diff(homes[entry.home_id], (entry.status, entry.staff_count), target))
        entry.status, entry.staff_count = target
        entry.source, entry.recorded_by_id, entry.recorded_at = entry.proposed_source, user.id, now
        _clear_proposal(entry)
    if changes:
        _touch_register(session, register, now, EntrySource.MANUAL.value, user, taken=True)
    return changes


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
    _touch_register(session, register_of(session), now, participant.source, user)
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


# The import queue ----------------------------------------------------------------------------

def check_importable(session: MeetingSession, now: datetime) -> str:
    """The entry source an import of this session writes; refuses sessions that have none."""
    if session.is_cancelled:
        raise DomainError("This session was cancelled, so there is nothing to import.")
    source = IMPORTABLE.get(session.provider)
    if source is None:
        raise DomainError("This session's meeting is a link that was pasted in: there is no report to "
                          "import. Take the register by hand.")
    if not session.provider_meeting_id:
        raise DomainError("This session has no meeting at the provider yet, so there is no report.")
    if session.starts_at > now:
        raise DomainError("Attendance can be imported once the session has taken place.")
    return source


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
