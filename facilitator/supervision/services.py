"""Writes and audited reads of confidential notes and the supervision log.

Every function takes the acting user and an ``Origin``, asks the model whether the actor may do
it, writes exactly one audit row for the operation (two when an edit also changes sharing),
seals text under the newest key, and flushes; the caller commits. A refused attempt writes a
``denied`` row and raises ``Denied``, and the error handler commits that row (nothing else is
pending by then), so refusals are on the record too. Nothing here logs or raises note text.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, NoReturn

from sqlalchemy import select

from facilitator.clock import system_now
from facilitator.errors import FIELDS_INVALID, DomainError
from facilitator.extensions import db
from facilitator.models import MeetingSession, Membership, Role, User
from facilitator.models.supervision import (
    SessionNote,
    SupervisionAction,
    SupervisionFormat,
    SupervisionRecord,
)
from facilitator.supervision import audit
from facilitator.supervision.audit import Origin
from facilitator.supervision.crypto import NotesUnavailable, keyring

log = logging.getLogger(__name__)

MAX_TEXT = 20000
MAX_ACTION = 1000
MAX_ACTIONS = 30
MAX_THEMES = 30
MAX_THEME = 60
THEMES = (
    "Vicarious trauma and my own reactions",
    "Boundaries",
    "Group dynamics",
    "Engaging care homes",
    "Safeguarding concerns",
    "Staff wellbeing in homes",
    "My wellbeing and self-care",
    "Skills and knowledge of TIP",
    "Organisational pressures",
    "Endings and transitions",
)


class Denied(Exception):  # noqa: N818 - the word the call sites read
    """The actor may not do this; the attempt is already in the audit trail."""

    status = 403
    keep_audit = True


# Sealing --------------------------------------------------------------------------------------

def _seal(obj: Any, text: str) -> None:
    obj.key_id, obj.ciphertext = keyring().encrypt(text.encode(), obj.associated_data())


def _open(obj: Any) -> str:
    return keyring().decrypt(obj.key_id, obj.ciphertext, obj.associated_data()).decode()


def _open_audited(obj: Any, actor: User, origin: Origin, action: str = "read") -> str:
    """Decrypt for ``actor`` and record the read; a failed decryption is recorded as an error."""
    try:
        text = _open(obj)
    except NotesUnavailable as exc:
        audit.record_for(action, obj, actor, origin, outcome="error", detail=exc.reason)
        log.error("Could not open %s %s (key id %s): %s", obj.audit_type, obj.id, obj.key_id, exc.reason)
        exc.keep_audit = True
        raise
    audit.record_for(action, obj, actor, origin)
    return text


def _require(allowed: bool, action: str, obj: Any, actor: User, origin: Origin) -> None:
    if not allowed:
        audit.record_for(action, obj, actor, origin, outcome="denied")
        log.info("Refused %s of %s %s for user %s", action, obj.audit_type, obj.id, actor.id)
        raise Denied(action)


def refuse(action: str, object_type: str, object_id: int | None, owner_id: int | None, actor: User,
           origin: Origin) -> NoReturn:
    """Record a refused attempt on something that is not a note or record (a session, a log)."""
    audit.record(action, actor=actor, object_type=object_type, object_id=object_id, owner_id=owner_id,
                 origin=origin, outcome="denied")
    raise Denied(action)


def _text(value: str | None, name: str, required: bool, limit: int = MAX_TEXT) -> str:
    value = value or ""
    if required and not value.strip():
        raise DomainError(FIELDS_INVALID, {name: "Write something first."})
    if len(value) > limit:
        raise DomainError(FIELDS_INVALID, {name: f"Keep this under {limit} characters."})
    return value


# Notes ----------------------------------------------------------------------------------------

def can_write_notes_for(user: User, session: MeetingSession) -> bool:
    return user.role == Role.FACILITATOR and session.group.is_facilitated_by(user)


def _check_home(session: MeetingSession, home_id: int | None) -> int | None:
    if home_id is None:
        return None
    member = db.session.scalar(select(Membership.id).where(
        Membership.group_id == session.group_id, Membership.home_id == home_id))
    if member is None:
        raise DomainError(FIELDS_INVALID,
                          {"home_id": "Choose a home that belongs to this session's group."})
    return home_id


def create_note(author: User, session_id: int, body: str, origin: Origin, home_id: int | None = None,
                shared: bool = False) -> SessionNote:
    keyring().require()
    session = db.session.get(MeetingSession, session_id)
    if session is None:
        raise DomainError(FIELDS_INVALID, {"session_id": "There is no such session."})
    if not can_write_notes_for(author, session):
        refuse("create", "session", session.id, None, author, origin)
    body = _text(body, "body", required=True)
    note = SessionNote(author_id=author.id, session_id=session.id, home_id=_check_home(session, home_id),
                       ciphertext=b"", key_id="")
    set_sharing(note, author, shared)
    db.session.add(note)
    db.session.flush()
    _seal(note, body)
    audit.record_for("create", note, author, origin, detail="shared" if shared else "private")
    log.info("Note %s created by user %s", note.id, author.id)
    return note


def set_sharing(obj: SessionNote | SupervisionRecord, owner: User, shared: bool) -> str | None:
    """Share with the owner's supervisor of now, or stop sharing; returns the audit action if it
    changed anything. What is shared stays with the supervisor it was shared with: a new
    supervisor sees it only once the author shares it again."""
    if shared and not (obj.is_shared_with_supervisor and obj.shared_with_id == owner.supervisor_id):
        obj.is_shared_with_supervisor, obj.shared_with_id = True, owner.supervisor_id
        return "share"
    if not shared and obj.is_shared_with_supervisor:
        obj.is_shared_with_supervisor, obj.shared_with_id = False, None
        return "unshare"
    return None


def _shared_detail(obj: SessionNote | SupervisionRecord) -> str:
    return f"with user {obj.shared_with_id}" if obj.shared_with_id else ""


def read_note(note: SessionNote, actor: User, origin: Origin, action: str = "read") -> str:
    """The note's text for ``actor``: one audit row, ``denied`` when they may not read it."""
    _require(note.can_read(actor, origin.via), action, note, actor, origin)
    return _open_audited(note, actor, origin, action)


def check_can_change(note: SessionNote | SupervisionRecord, actor: User, origin: Origin,
                     action: str) -> None:
    _require(note.can_change(actor), action, note, actor, origin)


def update_note(note: SessionNote, actor: User, origin: Origin, **changes: Any) -> SessionNote:
    """Change any of ``body``, ``home_id``, ``shared``: an ``update`` row for the text or home,
    a ``share``/``unshare`` row for the sharing."""
    check_can_change(note, actor, origin, "update")
    keyring().require()
    altered: list[str] = []
    if "body" in changes:
        body = _text(changes["body"], "body", required=True)
        if body != _open(note):
            _seal(note, body)
            altered.append("text")
    if "home_id" in changes and changes["home_id"] != note.home_id:
        if note.session is None:
            raise DomainError(FIELDS_INVALID, {"home_id": "This note's session was removed."})
        note.home_id = _check_home(note.session, changes["home_id"])
        altered.append("home")
    if altered:
        audit.record_for("update", note, actor, origin, detail=", ".join(altered))
    sharing = set_sharing(note, note.author, bool(changes["shared"])) if "shared" in changes else None
    if sharing is not None:
        audit.record_for(sharing, note, actor, origin, detail=_shared_detail(note))
        altered.append("sharing")
    if altered:
        note.updated_at = system_now()
    db.session.flush()
    return note


def delete_note(note: SessionNote, actor: User, origin: Origin) -> None:
    check_can_change(note, actor, origin, "delete")
    audit.record_for("delete", note, actor, origin)
    db.session.delete(note)
    db.session.flush()
    log.info("Note %s deleted by user %s", note.id, actor.id)


def audit_trail(obj: SessionNote | SupervisionRecord, actor: User, origin: Origin) -> None:
    """Check that ``actor`` may see the trail of ``obj`` (the author or an admin)."""
    _require(obj.can_view_audit(actor), "view_audit", obj, actor, origin)


# Supervision ----------------------------------------------------------------------------------

@dataclass
class ActionInput:
    text: str
    done: bool = False


@dataclass
class RecordInput:
    held_on: date | None
    minutes: int | None
    format: str
    supervisor_id: int | None = None
    external_supervisor: str | None = None
    themes: list[str] = field(default_factory=list)
    reflections: str = ""
    actions: list[ActionInput] = field(default_factory=list)
    next_on: date | None = None
    shared: bool = False


@dataclass
class RecordContent:
    """What only the facilitator (and, if shared, their supervisor) may see."""

    themes: list[str]
    reflections: str
    actions: list[tuple[SupervisionAction, str]]


def _themes_problem(values: list[str]) -> tuple[list[str], str | None]:
    seen: dict[str, None] = {}
    for value in values:
        theme = " ".join((value or "").split())
        if theme:
            if len(theme) > MAX_THEME:
                return [], f"Keep each theme under {MAX_THEME} characters."
            seen.setdefault(theme, None)
    if len(seen) > MAX_THEMES:
        return [], f"Choose at most {MAX_THEMES} themes."
    return list(seen), None


def clean_themes(values: list[str]) -> list[str]:
    themes, problem = _themes_problem(values)
    if problem:
        raise DomainError(FIELDS_INVALID, {"themes": problem})
    return themes


def record_problems(data: RecordInput, today: date) -> dict[str, str]:
    """Every problem of a supervision record at once, by field name (nothing is changed)."""
    errors: dict[str, str] = {}
    theme_problem = _themes_problem(data.themes)[1]
    if theme_problem:
        errors["themes"] = theme_problem
    if len(data.reflections or "") > MAX_TEXT:
        errors["reflections"] = f"Keep this under {MAX_TEXT} characters."
    if data.held_on is None:
        errors["held_on"] = "Enter the date of the supervision."
    elif data.held_on > today:
        errors["held_on"] = "The date cannot be in the future."
    if data.minutes is None or not 5 <= data.minutes <= 600:
        errors["minutes"] = "Enter the length in minutes, between 5 and 600."
    if data.format not in {f.value for f in SupervisionFormat}:
        errors["format"] = "Choose one-to-one, group or peer."
    external = (data.external_supervisor or "").strip()
    if (data.supervisor_id is None) == (not external):
        errors["supervisor_id"] = "Choose a supervisor, or name an external supervisor (not both)."
    elif data.supervisor_id is not None:
        supervisor = db.session.get(User, data.supervisor_id)
        if supervisor is None or supervisor.role != Role.SUPERVISOR or not supervisor.is_active:
            errors["supervisor_id"] = "Choose an active user with the supervisor role."
    elif len(external) > 200:
        errors["external_supervisor"] = "Keep the name under 200 characters."
    if data.next_on is not None and data.held_on is not None and data.next_on <= data.held_on:
        errors["next_on"] = "The next date must be after this supervision."
    if len(data.actions) > MAX_ACTIONS:
        errors["actions"] = f"Record at most {MAX_ACTIONS} actions."
    for index, action in enumerate(data.actions):
        if not action.text.strip() or len(action.text) > MAX_ACTION:
            errors[f"actions[{index}].text"] = f"Write the action in 1 to {MAX_ACTION} characters."
    return errors


def _check_record(data: RecordInput, today: date) -> None:
    errors = record_problems(data, today)
    if errors:
        raise DomainError(FIELDS_INVALID, errors)


def _apply_record(record: SupervisionRecord, data: RecordInput) -> None:
    """Copy validated input onto the record, sealing themes, reflections and action texts."""
    reflections = _text(data.reflections, "reflections", required=False)
    themes = clean_themes(data.themes)
    record.held_on, record.minutes, record.format = data.held_on, data.minutes, data.format  # type: ignore[assignment]
    record.supervisor_id = data.supervisor_id
    record.external_supervisor = (data.external_supervisor or "").strip() or None
    record.next_on = data.next_on
    _seal(record, json.dumps({"themes": themes, "reflections": reflections}))
    record.actions.clear()
    db.session.flush()
    for position, item in enumerate(data.actions):
        action = SupervisionAction(position=position, is_done=item.done, ciphertext=b"", key_id="")
        record.actions.append(action)
        db.session.flush()
        _seal(action, item.text.strip())


def as_supervisor(data: RecordInput, supervisor: User) -> RecordInput:
    """What a supervisor records for a supervisee: theirs as the supervisor, shared with them, and
    no reflections (those are the facilitator's own, added by them)."""
    return replace(data, supervisor_id=supervisor.id, external_supervisor=None, reflections="", shared=True)


def record_supervision(facilitator: User, data: RecordInput, origin: Origin, today: date,
                       recorded_by: User | None = None) -> SupervisionRecord:
    """The facilitator's record, written by them or (``recorded_by``) by their own supervisor."""
    keyring().require()
    if recorded_by is not None:
        if not (facilitator.role == Role.FACILITATOR and recorded_by.role == Role.SUPERVISOR
                and facilitator.supervisor_id == recorded_by.id):
            refuse("create", "supervision", None, facilitator.id, recorded_by, origin)
        data = as_supervisor(data, recorded_by)
    _check_record(data, today)
    record = SupervisionRecord(facilitator_id=facilitator.id, held_on=data.held_on, minutes=data.minutes,
                               format=data.format, ciphertext=b"", key_id="",
                               recorded_by_id=recorded_by.id if recorded_by else None)
    set_sharing(record, facilitator, data.shared)
    db.session.add(record)
    db.session.flush()
    _apply_record(record, data)
    detail = "shared" if data.shared else "private"
    audit.record_for("create", record, recorded_by or facilitator, origin,
                     detail=f"{detail}, by the supervisor" if recorded_by else detail)
    log.info("Supervision record %s created by user %s", record.id, (recorded_by or facilitator).id)
    return record


def read_record(record: SupervisionRecord, actor: User, origin: Origin,
                action: str = "read") -> RecordContent:
    """Themes, reflections and actions for ``actor``: one audit row (``denied`` when refused)."""
    _require(record.can_read(actor, origin.via), action, record, actor, origin)
    try:
        payload = json.loads(_open(record))
        actions = [(a, _open(a)) for a in record.actions]
    except NotesUnavailable as exc:
        audit.record_for(action, record, actor, origin, outcome="error", detail=exc.reason)
        log.error("Could not open supervision record %s: %s", record.id, exc.reason)
        exc.keep_audit = True
        raise
    audit.record_for(action, record, actor, origin)
    return RecordContent(payload["themes"], payload["reflections"], actions)


def update_record(record: SupervisionRecord, actor: User, origin: Origin, data: RecordInput,
                  today: date) -> SupervisionRecord:
    check_can_change(record, actor, origin, "update")
    keyring().require()
    _check_record(data, today)
    _apply_record(record, data)
    audit.record_for("update", record, actor, origin)
    sharing = set_sharing(record, record.facilitator, data.shared)
    if sharing is not None:
        audit.record_for(sharing, record, actor, origin, detail=_shared_detail(record))
    record.updated_at = system_now()
    db.session.flush()
    return record


def delete_record(record: SupervisionRecord, actor: User, origin: Origin) -> None:
    check_can_change(record, actor, origin, "delete")
    audit.record_for("delete", record, actor, origin)
    db.session.delete(record)
    db.session.flush()
    log.info("Supervision record %s deleted by user %s", record.id, actor.id)
