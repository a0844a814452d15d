"""Who may read, edit, delete, list and see the audit of a confidential note: web pages and API.

Author, their supervisor (note shared or not), a co-facilitator of the same group, another
supervisor, a lead, an admin and an anonymous visitor. Every read writes exactly one audit row;
every refused attempt on a note writes a ``denied`` row naming who, when, which note and from where.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from facilitator.extensions import db
from facilitator.models.supervision import SessionNote
from facilitator.supervision.queries import trail_of
from tests.support.factories import Auth
from tests.support.notes import (
    NOTE_TEXT,
    audit_count,
    last_audit,
    leaked,
    make_world,
    write_note,
    write_record,
)

ACTORS = ["author", "supervisor", "other", "other_supervisor", "lead", "admin", "anonymous"]
UA = {"User-Agent": "NotesMatrix/1.0 (iPad)"}


@pytest.fixture
def world(app, make):
    return make_world(app, make)


def call(api, method: str, url: str, json=None):
    """An API request with the token and our user agent (the audit records it)."""
    return api.client.open(url, method=method, json=json, headers={**api._headers(), **UA})


def web_read_allowed(actor: str, shared: bool) -> bool:
    return actor == "author" or (actor == "supervisor" and shared)


def assert_denied_row(world, actor: str, action: str, note_id: int, via: str = "web") -> None:
    row = last_audit()
    assert (row.actor_id, row.action, row.outcome) == (world.user(actor).id, action, "denied")
    assert (row.object_type, row.object_id, row.owner_id) == ("note", note_id, world.author.id)
    assert (row.via, row.ip_address) == (via, "127.0.0.1")
    assert row.user_agent == UA["User-Agent"] and row.occurred_at is not None


@pytest.mark.parametrize("shared", [False, True], ids=["private", "shared"])
@pytest.mark.parametrize("actor", ACTORS)
def test_web_read(world, actor, shared):
    note = write_note(world, shared=shared)
    client = world.web(actor)
    before = audit_count("note", note.id)
    response = client.get(f"/notes/{note.id}", headers=UA)
    page = response.get_data(as_text=True)
    if actor == "anonymous":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert audit_count("note", note.id) == before
    elif web_read_allowed(actor, shared):
        assert response.status_code == 200
        assert NOTE_TEXT in page
        assert response.headers["Cache-Control"] == "no-store"
        assert audit_count("note", note.id) == before + 1
        row = last_audit()
        assert (row.action, row.outcome, row.actor_id) == ("read", "ok", world.user(actor).id)
    else:
        assert response.status_code == 403
        assert leaked(page) == []
        assert audit_count("note", note.id) == before + 1
        assert_denied_row(world, actor, "read", note.id)


@pytest.mark.parametrize("shared", [False, True], ids=["private", "shared"])
@pytest.mark.parametrize("actor", ACTORS)
def test_api_read_only_for_the_author(world, api, actor, shared):
    """The API hands a note's text only to its author, even to a supervisor it is shared with."""
    note = write_note(world, shared=shared)
    if actor != "anonymous":
        api.as_user(world.user(actor))
    before = audit_count("note", note.id)
    response = call(api, "GET", f"/api/v1/notes/{note.id}")
    if actor == "anonymous":
        assert response.status_code == 401
        assert audit_count("note", note.id) == before
    elif actor == "author":
        assert response.status_code == 200
        assert response.json["body"] == NOTE_TEXT and response.json["shared_with_supervisor"] is shared
        assert response.headers["Cache-Control"] == "no-store"
        assert audit_count("note", note.id) == before + 1
        assert (last_audit().action, last_audit().via) == ("read", "api")
    else:
        assert response.status_code == 403
        assert leaked(response.get_data(as_text=True)) == []
        assert_denied_row(world, actor, "read", note.id, via="api")


@pytest.mark.parametrize("actor", ACTORS)
def test_web_edit_and_delete(world, actor):
    note_id = write_note(world, shared=True).id
    client = world.web(actor)
    auth = Auth(client, world.make)
    token_page = "/login" if actor == "anonymous" else "/"  # any page of theirs carries a CSRF token
    form = client.get(f"/notes/{note_id}/edit", headers=UA)
    if actor != "author":
        edit = auth.post(f"/notes/{note_id}/edit", {"body": "overwritten"}, page=token_page)
        delete = auth.post(f"/notes/{note_id}/delete", {}, page=token_page)
        if actor == "anonymous":
            assert {form.status_code, edit.status_code, delete.status_code} == {302}
        else:
            assert {form.status_code, edit.status_code, delete.status_code} == {403}
            assert leaked(form.get_data(as_text=True)) == []
            trail = [(e.actor_id, e.action, e.outcome) for e in _trail(note_id)][-3:]
            who = world.user(actor).id
            assert trail == [(who, "read", "denied"), (who, "update", "denied"), (who, "delete", "denied")]
        db.session.commit()
        assert db.session.get(SessionNote, note_id) is not None
        assert "overwritten" not in world.web("author").get(f"/notes/{note_id}").get_data(as_text=True)
        return
    assert form.status_code == 200 and NOTE_TEXT in form.get_data(as_text=True)
    assert form.headers["Cache-Control"] == "no-store"
    saved = auth.post(f"/notes/{note_id}/edit", {"body": "A calmer week", "home_id": "", "shared": ""})
    assert saved.status_code == 302
    actions = [e.action for e in _trail(note_id)]
    assert actions[-2:] == ["update", "unshare"]
    page = client.get(f"/notes/{note_id}").get_data(as_text=True)
    assert "A calmer week" in page and "No, private" in page
    deleted = auth.post(f"/notes/{note_id}/delete", {}, page=f"/notes/{note_id}")
    assert deleted.status_code == 302
    db.session.commit()
    assert db.session.get(SessionNote, note_id) is None
    assert _trail(note_id)[-1].action == "delete"


def _trail(note_id):
    db.session.commit()
    return trail_of("note", note_id)


@pytest.mark.parametrize("actor", ACTORS)
def test_api_edit_and_delete(world, api, actor):
    note_id = write_note(world, shared=True).id
    if actor != "anonymous":
        api.as_user(world.user(actor))
    patch = call(api, "PATCH", f"/api/v1/notes/{note_id}", {"body": "Changed over the API"})
    delete = call(api, "DELETE", f"/api/v1/notes/{note_id}")
    if actor == "anonymous":
        assert (patch.status_code, delete.status_code) == (401, 401)
    elif actor == "author":
        assert patch.status_code == 200 and "body" not in patch.json
        assert delete.status_code == 204
        assert [e.action for e in _trail(note_id)][-2:] == ["update", "delete"]
        return
    else:
        assert (patch.status_code, delete.status_code) == (403, 403)
        assert [(e.action, e.outcome) for e in _trail(note_id)][-2:] == [("update", "denied"),
                                                                         ("delete", "denied")]
    db.session.commit()
    assert db.session.get(SessionNote, note_id) is not None


@pytest.mark.parametrize("actor", ACTORS)
def test_lists_show_metadata_only_and_only_to_the_right_people(world, api, actor):
    private = write_note(world, shared=False)
    shared = write_note(world, shared=True)
    before = audit_count()
    client = world.web(actor)
    page = client.get("/notes")
    if actor != "anonymous":
        api.as_user(world.user(actor))
    listed = api.get(f"/api/v1/notes?session_id={world.session.id}")
    expected = {"author": {private.id, shared.id}, "supervisor": {shared.id}, "other": set(),
                "other_supervisor": set()}
    if actor == "anonymous":
        assert page.status_code == 302 and listed.status_code == 401
    elif actor in ("lead", "admin"):
        assert page.status_code == 403 and listed.status_code == 403
    else:
        assert page.status_code == 200 and listed.status_code == 200
        assert {n["id"] for n in listed.json["notes"]} == expected[actor]
        assert all("body" not in n for n in listed.json["notes"])
        html = page.get_data(as_text=True)
        for note_id in (private.id, shared.id):
            assert (f'href="/notes/{note_id}"' in html) is (note_id in expected[actor])
        assert page.headers["Cache-Control"] == "no-store"
        assert leaked(html) == [] and leaked(listed.get_data(as_text=True)) == []
    assert audit_count() == before, "listing reads no note text, so it writes no audit row"


@pytest.mark.parametrize("actor", ACTORS)
def test_audit_view(world, api, actor):
    note = write_note(world, shared=True)
    client = world.web(actor)
    page = client.get(f"/notes/{note.id}/audit", headers=UA)
    if actor != "anonymous":
        api.as_user(world.user(actor))
    trail = call(api, "GET", f"/api/v1/notes/{note.id}/audit")
    if actor == "anonymous":
        assert page.status_code == 302 and trail.status_code == 401
    elif actor in ("author", "admin"):
        assert page.status_code == 200 and trail.status_code == 200
        assert trail.json["events"][0]["action"] == "create"
        assert trail.json["events"][0]["actor_id"] == world.author.id
        assert leaked(page.get_data(as_text=True)) == [] and leaked(trail.get_data(as_text=True)) == []
    else:
        assert page.status_code == 403 and trail.status_code == 403
        assert_denied_row(world, actor, "view_audit", note.id, via="api")


def test_every_read_makes_exactly_one_audit_row(world, api):
    note = write_note(world, shared=True)
    author, supervisor = world.web("author"), world.web("supervisor")
    assert audit_count("note", note.id) == 1  # the create
    for client, url in ((author, f"/notes/{note.id}"), (author, f"/notes/{note.id}/edit"),
                        (supervisor, f"/notes/{note.id}")):
        before = audit_count("note", note.id)
        assert client.get(url).status_code == 200
        assert audit_count("note", note.id) == before + 1, url
    api.as_user(world.author)
    before = audit_count("note", note.id)
    assert api.get(f"/api/v1/notes/{note.id}").status_code == 200
    assert audit_count("note", note.id) == before + 1
    # Pages that list or count notes read no text: no audit rows.
    before = audit_count()
    for url in ("/", "/notes", "/supervision", f"/notes?session_id={world.session.id}"):
        assert author.get(url).status_code == 200
    assert audit_count() == before


def test_a_forbidden_read_is_audited_as_a_denied_attempt(world):
    note = write_note(world)
    response = world.web("other").get(f"/notes/{note.id}", headers=UA)
    assert response.status_code == 403
    assert_denied_row(world, "other", "read", note.id)
    assert audit_count("note", note.id, outcome="denied") == 1


def test_a_missing_note_is_404_and_not_audited(world):
    before = audit_count()
    assert world.web("author").get("/notes/999999").status_code == 404
    assert audit_count() == before


def test_only_facilitators_of_the_group_can_write_notes_on_its_session(world, api, make):
    outsider = make.user("facilitator")
    api.as_user(outsider)
    response = api.post("/api/v1/notes", json={"session_id": world.session.id, "body": NOTE_TEXT})
    assert response.status_code == 403
    row = last_audit()
    assert (row.action, row.outcome, row.object_type, row.object_id) == ("create", "denied", "session",
                                                                          world.session.id)
    api.as_user(world.author)
    created = api.post("/api/v1/notes", json={"session_id": world.session.id, "body": NOTE_TEXT,
                                              "home_id": world.home.id, "shared_with_supervisor": True})
    assert created.status_code == 201 and "body" not in created.json
    assert created.json["home_id"] == world.home.id and created.json["shared_with_supervisor"] is True
    other_home = make.home()
    bad = api.post("/api/v1/notes",
                   json={"session_id": world.session.id, "body": "x", "home_id": other_home.id})
    assert bad.status_code == 422 and "home_id" in bad.json["error"]["fields"]
    blank = api.post("/api/v1/notes", json={"session_id": world.session.id, "body": "   "})
    assert blank.status_code == 422 and "body" in blank.json["error"]["fields"]
    missing = api.post("/api/v1/notes", json={"session_id": 999999, "body": "x"})
    assert missing.status_code == 422 and "session_id" in missing.json["error"]["fields"]


def test_text_never_appears_in_other_peoples_pages(world, api):
    """Pages leads, admins, supervisors and co-facilitators can reach: none shows the text."""
    note = write_note(world, shared=False)
    write_record(world.author, date.today() - timedelta(days=3), shared=False, supervisor=world.supervisor)
    pages = {
        "lead": ["/", "/supervision", f"/supervision/facilitators/{world.author.id}"],
        "admin": ["/", "/supervision", "/admin/confidential", "/admin/audit", f"/notes/{note.id}/audit",
                  f"/supervision/facilitators/{world.author.id}"],
        "supervisor": ["/", "/supervision", "/notes", f"/supervision/facilitators/{world.author.id}"],
        "other": ["/", "/supervision", "/notes"],
    }
    for actor, urls in pages.items():
        client = world.web(actor)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (actor, url)
            assert leaked(response.get_data(as_text=True)) == [], (actor, url)
    for actor in ("lead", "admin", "supervisor"):
        api.as_user(world.user(actor))
        response = api.get("/api/v1/supervision")
        assert response.status_code == 200 and leaked(response.get_data(as_text=True)) == [], actor
