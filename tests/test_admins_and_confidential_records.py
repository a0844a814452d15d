"""An admin cannot reach confidential notes through someone else's account or supervisor:

- a note or supervision record shared with supervision is readable by the supervisor who was the
  author's supervisor when it was shared; changing the author's supervisor shares nothing;
  sharing again shares it with the new one;
- resetting someone's two-factor, or emailing them a link to choose a password, ends all their
  sessions, is in the audit trail with the admin as its actor, and is emailed to the person.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from facilitator import transaction
from facilitator.admin import services as admin
from facilitator.extensions import db
from facilitator.models import OutboxMessage, User, UserSession
from facilitator.models.supervision import AuditEvent
from facilitator.supervision import services
from facilitator.supervision.services import RecordInput
from tests.support.factories import Auth
from tests.support.mfa import enrol_directly
from tests.support.notes import NOTE_TEXT, REFLECTION_TEXT, WEB, make_world


@pytest.fixture
def world(app, make):
    return make_world(app, make)


def _page(world, who: str, path: str) -> tuple[int, str]:
    response = world.web(who).get(path)
    return response.status_code, response.get_data(as_text=True)


def _new_supervisor(world) -> User:
    """An admin makes a new supervisor and points the author at them."""
    newcomer = world.make.user("supervisor", name="New Supervisor")
    admin.update_user(db.session.get(User, world.author.id), supervisor_id=newcomer.id)
    transaction.commit()
    return newcomer


def test_a_new_supervisor_reads_nothing_shared_before_until_the_author_shares_again(world):
    note = services.create_note(world.author, world.session.id, NOTE_TEXT, WEB, shared=True)
    transaction.commit()
    assert _page(world, "supervisor", f"/notes/{note.id}")[0] == 200
    newcomer = _new_supervisor(world)
    world.newcomer = newcomer

    status, page = _page(world, "newcomer", f"/notes/{note.id}")
    assert status == 403 and NOTE_TEXT not in page
    assert NOTE_TEXT not in _page(world, "newcomer", "/notes")[1]
    assert _page(world, "supervisor", f"/notes/{note.id}")[0] == 200, "shared with them, it stays so"

    services.update_note(db.session.get(type(note), note.id), db.session.get(User, world.author.id), WEB,
                         shared=True)
    transaction.commit()
    assert _page(world, "newcomer", f"/notes/{note.id}")[0] == 200
    assert _page(world, "supervisor", f"/notes/{note.id}")[0] == 403
    [share] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "share"))
    assert share.detail == f"with user {newcomer.id}"


def test_a_supervision_record_follows_the_same_rule(world):
    data = RecordInput(held_on=date(2026, 3, 2), minutes=60, format="one_to_one",
                       supervisor_id=world.supervisor.id, reflections=REFLECTION_TEXT, shared=True)
    record = services.record_supervision(world.author, data, WEB, date(2026, 3, 5))
    transaction.commit()
    world.newcomer = _new_supervisor(world)
    status, page = _page(world, "newcomer", f"/supervision/records/{record.id}")
    assert status == 403 and REFLECTION_TEXT not in page
    assert _page(world, "supervisor", f"/supervision/records/{record.id}")[0] == 200


def test_resetting_two_factor_signs_out_audits_the_admin_and_tells_the_person(app, make):
    person = make.user("lead")
    enrol_directly(person)
    db.session.add(UserSession(token_hash="x" * 64, user_id=person.id, ip_address=None, user_agent=""))
    transaction.commit()
    boss = Auth(app.test_client(), make)
    admin_user = boss.login("admin")

    response = boss.post(f"/users/{person.id}/two-factor/reset", {}, page=f"/users/{person.id}")
    assert response.status_code == 302
    assert db.session.scalars(select(UserSession).where(UserSession.user_id == person.id)).all() == []
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reset_two_factor"))
    assert (event.actor_id, event.object_id) == (admin_user.id, person.id)
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to_email == person.email))
    assert mail.subject == "Your two-step sign-in was reset" and admin_user.name in mail.body_text


def test_the_operators_reset_is_audited_too(app, make, runner):
    person = make.user("lead")
    result = runner.invoke(args=["reset-mfa", person.email])
    assert result.exit_code == 0, result.output
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reset_two_factor"))
    assert (event.actor_id, event.via) == (None, "cli")
