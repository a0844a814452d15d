"""A session's register: saving it by hand, the conflicts between two people saving it, and the
registers still to take (what the register page shows is ``register_page``'s). Flush, never
commit; no ``request`` or ``flash`` here.

Every write to a session's register goes through :func:`touch_register`, which raises the
register's version and keeps a revision of the entries, so a save that started from an older
version is refused with a list of what changed in between.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from facilitator import transaction
from facilitator.attendance.roster import (
    check_can_record,
    entries_by_home,
    member_homes,
    register_of,
)
from facilitator.errors import ConflictError, DomainError
from facilitator.extensions import db
from facilitator.models import CareHome, MeetingSession, SessionStatus, User, group_facilitators
from facilitator.models.attendance import (
    AttendanceEntry,
    AttendanceParticipant,
    AttendanceRegister,
    AttendanceRevision,
    AttendanceStatus,
    EngagementRating,
    EntrySource,
)
from facilitator.providers import hub

STATUSES = tuple(s.value for s in AttendanceStatus)
MAX_STAFF = 500
_VERSION_TEXT = re.compile(r"[0-9]{1,9}")  # ASCII digits that fit the integer column


def parse_version(text: str) -> int | None:
    """A register version sent back by a form or an If-Match header; None when it cannot be one."""
    return int(text) if _VERSION_TEXT.fullmatch(text) else None
MAX_COMMENT = 280
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a revision remembers of each entry (the things a person can type).
TRACKED = ("status", "staff_count", "engagement", "comment", "senior_present")
FIELD_LABELS = {"status": "status", "staff_count": "staff", "engagement": "engagement",
                "comment": "comment", "senior_present": "manager or team leader present"}


# Registers still to take ----------------------------------------------------------------------

def registers_to_take(user: User, now: datetime, days: int = 60) -> list[tuple[MeetingSession, str]]:
    """A facilitator's sessions that took place and whose register no person has saved yet,
    with what stands in the way ("not taken", "imported: check and save", "people to assign")."""
    sessions = list(db.session.scalars(
        select(MeetingSession)
        .join(group_facilitators, group_facilitators.c.group_id == MeetingSession.group_id)
        .outerjoin(AttendanceRegister, AttendanceRegister.session_id == MeetingSession.id)
        .where(group_facilitators.c.user_id == user.id, MeetingSession.status != SessionStatus.CANCELLED,
               MeetingSession.starts_at <= now, MeetingSession.starts_at >= now - timedelta(days=days),
               AttendanceRegister.taken_at.is_(None))
        .options(joinedload(MeetingSession.group)).order_by(MeetingSession.starts_at.desc())))
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    imported = set(db.session.scalars(select(AttendanceRegister.session_id).where(
        AttendanceRegister.session_id.in_(ids), AttendanceRegister.imported_at.is_not(None))))
    waiting = set(db.session.scalars(select(AttendanceParticipant.session_id).where(
        AttendanceParticipant.session_id.in_(ids), AttendanceParticipant.home_id.is_(None),
        AttendanceParticipant.ignored_as.is_(None))))
    result = []
    for session in sessions:
        if session.id in waiting:
            why = "people to assign to homes"
        elif session.id in imported:
            why = "imported: check and save"
        else:
            why = "not taken yet"
        result.append((session, why))
    return result


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

    @property
    def effective_status(self) -> str | None:
        """The status saved: a confirmed join link with no status chosen is present; a status the
        facilitator chose (even with the tick) is kept."""
        if self.confirm_join and self.status is None:
            return AttendanceStatus.PRESENT.value
        return self.status


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
    status = row.effective_status
    if status is not None and status not in STATUSES:
        problems["status"] = f"Choose one of: {', '.join(STATUSES)}."
    if row.staff_count is not None and not 0 <= row.staff_count <= MAX_STAFF:
        problems["staff_count"] = f"Enter a number from 0 to {MAX_STAFF}."
    elif row.staff_count and status in ("absent", "excused"):
        problems["staff_count"] = "A home that was absent or excused had no staff taking part."
    if row.engagement is not None and row.engagement not in {r.value for r in EngagementRating}:
        problems["engagement"] = "Choose a rating from 1 to 4."
    elif row.engagement is not None and status in ("absent", "excused", None):
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
        return touch_register(session, register, now, EntrySource.MANUAL.value, user, taken=True)
    except (StaleDataError, IntegrityError):
        transaction.rollback()
        raise conflict_since(session, expected_version, rows) from None


def _apply_row(entry: AttendanceEntry, row: RowInput, user: User, now: datetime) -> None:
    status = row.effective_status
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
        clear_proposal(entry)


def clear_proposal(entry: AttendanceEntry) -> None:
    entry.proposed_status = entry.proposed_staff_count = entry.proposed_source = None


def snapshot(entries: Iterable[AttendanceEntry]) -> dict[str, dict[str, Any]]:
    return {str(e.home_id): {name: getattr(e, name) for name in TRACKED} for e in entries}


def touch_register(session: MeetingSession, register: AttendanceRegister | None, now: datetime,
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
    """Who saved a revision that no person saved: an import names its provider."""
    return f"the {hub().label(source)} import" if hub().imports_attendance(source) else "someone"


def _user_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def diff(home: CareHome, current: tuple[Any, Any], target: tuple[Any, Any]) -> list[Change]:
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
        changes.extend(diff(homes[entry.home_id], (entry.status, entry.staff_count), target))
        entry.status, entry.staff_count = target
        entry.source, entry.recorded_by_id, entry.recorded_at = entry.proposed_source, user.id, now
        clear_proposal(entry)
    if changes:
        touch_register(session, register, now, EntrySource.MANUAL.value, user, taken=True)
    return changes
