"""Confidential session notes over the API.

The token's user is the actor, under the same rules as the pages, with one more: the API hands a
note's text only to its author (a supervisor reads shared notes in the web pages). Reading a
note writes one audit row; a refused attempt writes a ``denied`` row. Lists carry no text.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import g
from pydantic import Field

from facilitator.access import FACILITATOR, NOTE_READERS, STAFF, get_or_404
from facilitator.api.core import operation
from facilitator.api.schemas import Input, Output, RowId, patch_fields
from facilitator.database import writes_on_get
from facilitator.models.supervision import AuditEvent, SessionNote
from facilitator.supervision import queries, services
from facilitator.supervision.http import no_store, request_origin
from facilitator.supervision.services import MAX_TEXT


class NoteCreate(Input):
    session_id: RowId
    body: str = Field(min_length=1, max_length=MAX_TEXT)
    home_id: RowId | None = None
    shared_with_supervisor: bool = False


class NoteUpdate(Input):
    body: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    home_id: RowId | None = None
    shared_with_supervisor: bool | None = None


class NoteListQuery(Input):
    session_id: RowId | None = None


class NoteSummary(Output):
    id: int
    author_id: int
    session_id: int | None
    home_id: int | None
    shared_with_supervisor: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, note: SessionNote) -> NoteSummary:
        return cls(id=note.id, author_id=note.author_id, session_id=note.session_id, home_id=note.home_id,
                   shared_with_supervisor=note.is_shared_with_supervisor, created_at=note.created_at,
                   updated_at=note.updated_at)


class NoteOut(NoteSummary):
    body: str


class NoteList(Output):
    notes: list[NoteSummary]


class AuditEventOut(Output):
    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str | None
    actor_role: str | None
    action: str
    outcome: str
    via: str
    ip_address: str | None
    user_agent: str | None
    detail: str

    @classmethod
    def of(cls, event: AuditEvent, names: dict[int, str]) -> AuditEventOut:
        return cls(id=event.id, occurred_at=event.occurred_at, actor_id=event.actor_id,
                   actor_name=names.get(event.actor_id) if event.actor_id else None,
                   actor_role=event.actor_role, action=event.action, outcome=event.outcome, via=event.via,
                   ip_address=event.ip_address, user_agent=event.user_agent, detail=event.detail)


class AuditTrail(Output):
    events: list[AuditEventOut]


@operation("/notes", "POST", roles=FACILITATOR, body=NoteCreate, response=NoteSummary, status=201,
           summary="Write an encrypted note on a session of one of your groups (optionally about one home)")
def create_note(body: NoteCreate) -> NoteSummary:
    note = services.create_note(g.user, body.session_id, body.body, request_origin(), body.home_id,
                                body.shared_with_supervisor)
    no_store()
    return NoteSummary.of(note)


@operation("/notes", "GET", roles=NOTE_READERS, query=NoteListQuery, response=NoteList,
           summary="Your notes (a supervisor: the notes shared with them), without their text")
def list_notes(query: NoteListQuery) -> NoteList:
    no_store()
    return NoteList(notes=[NoteSummary.of(n) for n in queries.notes_visible_to(g.user, query.session_id)])


@operation("/notes/<int:note_id>", "GET", roles=STAFF, response=NoteOut,
           summary="Read one of your notes (audited; anyone else is refused and the attempt audited)")
@writes_on_get
def get_note(note_id: int) -> NoteOut:
    note = get_or_404(SessionNote, note_id)
    text = services.read_note(note, g.user, request_origin())
    no_store()
    return NoteOut(**NoteSummary.of(note).model_dump(), body=text)


@operation("/notes/<int:note_id>", "PATCH", roles=STAFF, body=NoteUpdate, response=NoteSummary,
           summary="Change the text, home or sharing of one of your notes")
def update_note(note_id: int, body: NoteUpdate) -> NoteSummary:
    note = get_or_404(SessionNote, note_id)
    changes: dict[str, Any] = patch_fields(body, nullable=frozenset({"home_id"}))
    if "shared_with_supervisor" in changes:
        changes["shared"] = changes.pop("shared_with_supervisor")
    services.update_note(note, g.user, request_origin(), **changes)
    no_store()
    return NoteSummary.of(note)


@operation("/notes/<int:note_id>", "DELETE", roles=STAFF, summary="Delete one of your notes")
def delete_note(note_id: int) -> None:
    services.delete_note(get_or_404(SessionNote, note_id), g.user, request_origin())


@operation("/notes/<int:note_id>/audit", "GET", roles=STAFF, response=AuditTrail,
           summary="Who wrote, read, changed or shared a note: for its author, or an admin")
@writes_on_get
def get_note_audit(note_id: int) -> AuditTrail:
    note = get_or_404(SessionNote, note_id)
    services.audit_trail(note, g.user, request_origin())
    events = queries.trail_of(note.audit_type, note.id)
    names = queries.names_of({e.actor_id for e in events})
    no_store()
    return AuditTrail(events=[AuditEventOut.of(e, names) for e in events])
