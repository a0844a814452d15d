"""The comments on a shared supervision record over the API: the same people as on the page may
write (the supervisor it is shared with, the facilitator in reply); the text is sealed, audited
and never logged; the API hands confidential text only to its author, so the facilitator reads
every comment on their record and the supervisor the ones they wrote."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models.supervision import SupervisionComment
from facilitator.supervision.crypto import keyring
from tests.support.notes import last_audit, make_world, write_record

TODAY = date.today()
COMMENT = "Quillfeather boundaries question named plainly"
ANSWER = "Rota to Glenmorangie meeting"


@pytest.fixture
def world(app, make):
    return make_world(app, make)


@pytest.fixture
def shared(world):
    return write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)


def url(record_id: int) -> str:
    return f"/api/v1/supervision/{record_id}/comments"


def as_(api, world, name: str):
    api.as_user(world.user(name))
    return api


def test_the_supervisor_comments_and_the_facilitator_reads_and_answers(world, api, shared, caplog):
    caplog.set_level(logging.DEBUG)
    made = as_(api, world, "supervisor").post(url(shared.id), {"text": f"  {COMMENT} "})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert body["text"] == COMMENT and body["author_id"] == world.supervisor.id
    assert body["author_role"] == "supervisor" and made.headers["Cache-Control"] == "no-store"
    assert (last_audit().action, last_audit().outcome, last_audit().via) == ("comment", "ok", "api")
    stored = db.session.scalars(select(SupervisionComment)).one()
    assert COMMENT.encode() not in stored.ciphertext and stored.key_id == keyring().newest_id

    answer = as_(api, world, "author").post(url(shared.id), {"text": ANSWER})
    assert answer.status_code == 201
    read = api.get(url(shared.id))
    assert read.status_code == 200 and read.headers["Cache-Control"] == "no-store"
    assert [c["text"] for c in read.get_json()["comments"]] == [COMMENT, ANSWER]
    assert (last_audit().action, last_audit().outcome, last_audit().detail) == ("read", "ok", "comments")

    theirs = as_(api, world, "supervisor").get(url(shared.id)).get_json()["comments"]
    assert [c["text"] for c in theirs] == [COMMENT], "the facilitator's answer is not the supervisor's text"
    assert COMMENT not in caplog.text and ANSWER not in caplog.text


@pytest.mark.parametrize("name", ["other", "other_supervisor", "lead", "admin"])
def test_no_one_else_may_read_or_comment_and_each_attempt_is_recorded(world, api, shared, name):
    as_(api, world, "supervisor").post(url(shared.id), {"text": COMMENT})
    as_(api, world, name)
    posted = api.post(url(shared.id), {"text": ANSWER})
    assert posted.status_code == 403 and posted.is_json
    assert (last_audit().action, last_audit().outcome) == ("comment", "denied")
    read = api.get(url(shared.id))
    assert read.status_code == 403 and COMMENT not in read.get_data(as_text=True)
    assert (last_audit().action, last_audit().outcome) == ("read", "denied")
    assert len(db.session.scalars(select(SupervisionComment)).all()) == 1


def test_a_private_record_takes_no_comments_and_unsharing_ends_the_supervisors_access(world, api, shared):
    private = write_record(world.author, TODAY - timedelta(days=9), supervisor=world.supervisor)
    assert as_(api, world, "supervisor").post(url(private.id), {"text": COMMENT}).status_code == 403
    assert as_(api, world, "author").post(url(private.id), {"text": COMMENT}).status_code == 403
    assert as_(api, world, "supervisor").post(url(shared.id), {"text": COMMENT}).status_code == 201
    shared.is_shared_with_supervisor = False
    db.session.commit()
    assert as_(api, world, "supervisor").get(url(shared.id)).status_code == 403
    kept = as_(api, world, "author").get(url(shared.id)).get_json()["comments"]
    assert [c["text"] for c in kept] == [COMMENT]


@pytest.mark.parametrize(("payload", "message"), [
    ({"text": "   "}, "Write the comment first."),
    ({"text": "x" * 5001}, "5000"),
    ({}, "This field is required."),
    ({"text": COMMENT, "body": COMMENT}, "not accepted"),
])
def test_a_bad_comment_is_refused_naming_the_field(world, api, shared, payload, message):
    response = as_(api, world, "supervisor").post(url(shared.id), payload)
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert any(message in text for text in fields.values()), fields
    assert set(fields) <= {"text", "body"}
    assert db.session.scalars(select(SupervisionComment)).all() == []


def test_an_unknown_record_is_not_found(world, api):
    as_(api, world, "supervisor")
    assert api.get(url(2**31 - 1)).status_code == 404
    assert api.post(url(2**31 - 1), {"text": COMMENT}).status_code == 404
