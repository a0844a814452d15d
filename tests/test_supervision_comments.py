"""Issue 14, item 16: the supervisor a record is shared with comments on it, and the facilitator
reads and answers; a supervisor records a supervision for a supervisee, who adds their own
reflections. Sealed, and every write and refusal audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models.supervision import SEALED_MODELS, SupervisionComment, SupervisionRecord
from facilitator.supervision import services
from facilitator.supervision.crypto import keyring
from tests.support.factories import Auth
from tests.support.notes import REFLECTION_TEXT, WEB, audit_count, last_audit, make_world, write_record

TODAY = date.today()
COMMENT = "Thank you for naming the boundaries question so clearly"
ANSWER = "I will bring the rota to our next meeting"


@pytest.fixture
def world(app, make):
    return make_world(app, make)


def comment(world, role: str, record_id: int, body: str = COMMENT):
    return Auth(world.web(role), world.make).post(f"/supervision/records/{record_id}/comments",
                                                  {"body": body})


def test_the_supervisor_comments_and_the_facilitator_reads_and_answers(world):
    record = write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)
    response = comment(world, "supervisor", record.id)
    assert response.status_code == 302 and response.headers["Location"].endswith("#comments")
    assert (last_audit().action, last_audit().outcome, last_audit().owner_id) == (
        "comment", "ok", world.author.id)
    stored = db.session.scalars(select(SupervisionComment)).one()
    assert COMMENT.encode() not in stored.ciphertext and stored.key_id == keyring().newest_id
    own = world.web("author").get(f"/supervision/records/{record.id}").get_data(as_text=True)
    assert COMMENT in own and "Dr Ruth Sinclair (supervisor)" in own
    assert comment(world, "author", record.id, ANSWER).status_code == 302
    seen = world.web("supervisor").get(f"/supervision/records/{record.id}").get_data(as_text=True)
    assert COMMENT in seen and ANSWER in seen and "Ailsa Fraser (facilitator)" in seen


@pytest.mark.parametrize("role", ["other", "lead", "admin"])
def test_no_one_else_may_comment_and_the_attempt_is_recorded(world, role):
    record = write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)
    assert comment(world, role, record.id).status_code == 403
    assert (last_audit().action, last_audit().outcome) == ("comment", "denied")
    assert db.session.scalars(select(SupervisionComment)).all() == []


def test_a_private_record_takes_no_comments_and_an_unshared_one_hides_them(world):
    private = write_record(world.author, TODAY - timedelta(days=9), supervisor=world.supervisor)
    assert comment(world, "supervisor", private.id).status_code == 403
    assert comment(world, "author", private.id).status_code == 403
    shared = write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)
    comment(world, "supervisor", shared.id)
    author = Auth(world.web("author"), world.make)
    edit = author.post(f"/supervision/records/{shared.id}/edit", {
        "held_on": shared.held_on.isoformat(), "supervisor_id": world.supervisor.id, "minutes": 60,
        "format": "one_to_one"})
    assert edit.status_code == 302
    assert world.web("supervisor").get(f"/supervision/records/{shared.id}").status_code == 403
    assert COMMENT in world.web("author").get(f"/supervision/records/{shared.id}").get_data(as_text=True)


def test_an_empty_or_overlong_comment_is_refused_beside_the_field(world):
    record = write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)
    before = audit_count("supervision", record.id, action="comment")
    for body, message in (("  ", "Write the comment first."), ("x" * 5001, "5000")):
        response = comment(world, "supervisor", record.id, body)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html and 'id="body-error"' in html
    assert audit_count("supervision", record.id, action="comment") == before


def test_comments_go_with_their_record_and_are_sealed_with_the_other_confidential_rows(world):
    record = write_record(world.author, TODAY - timedelta(days=5), shared=True, supervisor=world.supervisor)
    comment(world, "supervisor", record.id)
    assert SupervisionComment in SEALED_MODELS, "key rotation re-seals comments too"
    db.session.delete(db.session.get(type(record), record.id))
    db.session.commit()
    assert db.session.scalars(select(SupervisionComment)).all() == []


# A supervisor records a supervision for a supervisee ------------------------------------------

def supervisor_form(**fields):
    return {"held_on": (TODAY - timedelta(days=1)).isoformat(), "minutes": 50, "format": "one_to_one",
            "themes": ["Boundaries"], "actions-0-text": "Book a debrief", **fields}


def test_a_supervisor_records_for_a_supervisee_who_then_adds_their_reflections(world):
    auth = Auth(world.web("supervisor"), world.make)
    assert world.web("supervisor").get(f"/supervision/facilitators/{world.author.id}/new").status_code == 200
    response = auth.post(f"/supervision/facilitators/{world.author.id}/new",
                         supervisor_form(reflections="Not the supervisor's to write", shared=""))
    assert response.status_code == 302, response.get_data(as_text=True)
    record = db.session.scalars(select(SupervisionRecord)).one()
    assert (record.facilitator_id, record.supervisor_id, record.recorded_by_id) == (
        world.author.id, world.supervisor.id, world.supervisor.id)
    assert (record.is_shared_with_supervisor, record.shared_with_id) == (True, world.supervisor.id)
    assert (last_audit().action, last_audit().actor_id, last_audit().owner_id) == (
        "create", world.supervisor.id, world.author.id)
    own = world.web("author")
    assert f"/supervision/records/{record.id}" in own.get("/supervision").get_data(as_text=True)
    page = own.get(f"/supervision/records/{record.id}").get_data(as_text=True)
    assert "Book a debrief" in page and "Not the supervisor" not in page and "Recorded by" in page
    edit = Auth(own, world.make).post(f"/supervision/records/{record.id}/edit", {
        "held_on": record.held_on.isoformat(), "supervisor_id": world.supervisor.id, "minutes": 50,
        "format": "one_to_one", "reflections": REFLECTION_TEXT, "actions-0-text": "Book a debrief"})
    assert edit.status_code == 302
    assert world.web("supervisor").get(f"/supervision/records/{record.id}").status_code == 403, \
        "unticking the share keeps the reflections the facilitator's own"
    assert world.web("supervisor").get(f"/supervision/records/{record.id}/edit").status_code == 403


def test_a_supervisor_records_only_for_their_own_supervisees(world):
    stranger = world.make.user("facilitator", name="Morag Bell")
    auth = Auth(world.web("supervisor"), world.make)
    assert auth.post(f"/supervision/facilitators/{stranger.id}/new", supervisor_form()).status_code == 404
    other = Auth(world.web("other"), world.make)
    url = f"/supervision/facilitators/{world.author.id}/new"
    assert other.post(url, supervisor_form()).status_code == 403
    assert db.session.scalars(select(SupervisionRecord)).all() == []
    with pytest.raises(services.Denied):
        services.record_supervision(stranger, services.RecordInput(TODAY, 60, "one_to_one"), WEB, TODAY,
                                    recorded_by=world.supervisor)
    assert (last_audit().action, last_audit().outcome) == ("create", "denied")


def test_the_supervisors_form_shows_every_problem_at_once(world):
    auth = Auth(world.web("supervisor"), world.make)
    response = auth.post(f"/supervision/facilitators/{world.author.id}/new",
                         supervisor_form(held_on=(TODAY + timedelta(days=2)).isoformat(), minutes="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "cannot be in the future" in html and "Between 5 and 600" in html
    assert "supervisor_id-error" not in html
