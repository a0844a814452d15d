"""Every copy of a session's event (invite, update, cancel, feed, "Add to calendar" download) agrees:
one ORGANIZER for the UID's whole life, and the highest SEQUENCE sent for it in any channel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from facilitator.admin import services as admin
from facilitator.extensions import db
from facilitator.invites import services
from facilitator.models import EventOrganizer, MeetingSession
from tests.support.invites import (
    BASE,
    JOINED,
    NOW,
    Sent,
    add_session,
    deliver,
    invites_config,
    parse_icalendar,
    reschedule,
    set_now,
)

AILSA = "ailsa.fraser@psl.example.org"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make):
    facilitator = make.user("facilitator", name="Ailsa Fraser", email=AILSA)
    homes = [make.home("Ardenlea House"), make.home("Bellfield Court")]
    group = make.group("West of Scotland PSL", facilitators=[facilitator], homes=homes, joined_on=JOINED)
    return facilitator, homes, group


def event_of(ics: bytes):
    (event,) = parse_icalendar(ics).events
    return event


def home_token(mail: Sent) -> str:
    return mail.links(f"{BASE}/h/")[0].rsplit("/", 1)[1]


def feed_token(mail: Sent) -> str:
    """The feed link every email carries (webcal://…/feeds/<token>.ics)."""
    return mail.links(f"webcal://{BASE.split('://', 1)[1]}/feeds/")[0].rsplit("/", 1)[1]


def join_token(mail: Sent) -> str:
    return mail.links(f"{BASE}/j/")[0].rsplit("/", 1)[1]


def feed_event(client, token: str, session: MeetingSession):
    response = client.get(f"/feeds/{token}.ics")
    assert response.status_code == 200
    return next(e for e in parse_icalendar(response.data).events if str(e["UID"]) == session.ical_uid)


def download_event(client, token: str):
    response = client.get(f"/j/{token}/calendar.ics")
    assert response.status_code == 200
    return event_of(response.data)


# ------------------------------------------------------------------------------ ORGANIZER


def test_an_event_keeps_the_organizer_it_was_first_sent_with_after_a_handover(app, auth, client, make, world):
    ailsa, homes, group = world
    session = add_session(group)
    _, first = deliver(app)
    assert {str(event_of(m.calendar)["ORGANIZER"]) for m in first} == {f"mailto:{AILSA}"}
    assert db.session.get(EventOrganizer, session.id).email == AILSA

    # Ailsa hands the group over; a team mailbox is configured afterwards.
    bea = make.user("facilitator", name="Bea Lindsay", email="bea@psl.example.org")
    group.facilitators = [bea]
    db.session.commit()
    app.config["ORGANIZER_EMAIL"], app.config["ORGANIZER_NAME"] = "psl-team@nhs.example", "PSL Team"

    reschedule(session, starts_at=session.starts_at + timedelta(hours=1))
    admin.save_contact(homes[0], admin.ContactData("Newcomer", "newcomer@ardenlea.example", "manager"))
    db.session.commit()
    _, later = deliver(app)
    assert len(later) == 5
    for mail in later:
        organizer = event_of(mail.calendar)["ORGANIZER"]
        assert (str(organizer), organizer.params["CN"]) == (f"mailto:{AILSA}", "Ailsa Fraser")

    assert str(feed_event(client, feed_token(first[0]), session)["ORGANIZER"]) == f"mailto:{AILSA}"
    assert str(download_event(client, join_token(later[0]))["ORGANIZER"]) == f"mailto:{AILSA}"
    auth.login(bea)
    staff = client.get(f"/sessions/{session.id}/calendar.ics")
    assert str(event_of(staff.data)["ORGANIZER"]) == f"mailto:{AILSA}"


def test_the_first_copy_of_any_kind_fixes_the_organizer(app, auth, client, make, world):
    """A facilitator who downloads the session before any invite goes out fixes it too."""
    ailsa, _, group = world
    session = add_session(group)
    auth.login(ailsa)
    assert str(event_of(client.get(f"/sessions/{session.id}/calendar.ics").data)["ORGANIZER"]) == (
        f"mailto:{AILSA}")
    group.facilitators = [make.user("facilitator", email="bea@psl.example.org")]
    db.session.commit()
    _, sent = deliver(app)
    assert {str(event_of(m.calendar)["ORGANIZER"]) for m in sent} == {f"mailto:{AILSA}"}


def test_a_recipient_who_is_the_fixed_organizer_fails_with_a_clear_message(app, world):
    _, homes, group = world
    add_session(group)
    deliver(app)
    admin.save_contact(homes[0], admin.ContactData("Ailsa at home", AILSA, "manager"))
    db.session.commit()
    result, sent = deliver(app)
    assert sent == []
    (message,) = [m for m in services.queries.outbox_messages("failed")]
    assert message.to_email == AILSA and "calendar organizer" in message.last_error


# ------------------------------------------------------------------------------ SEQUENCE


def _resend_one(homes, session):
    services.resend(session, homes[0].contacts[0].id)


def _deactivate_one(homes, session):
    contact = homes[0].contacts[0]
    admin.save_contact(homes[0], admin.ContactData(contact.name, contact.email, contact.role, False), contact)


def _new_address(homes, session):
    contact = homes[0].contacts[0]
    moved = admin.ContactData(contact.name, "moved@ardenlea.example", contact.role, True)
    admin.save_contact(homes[0], moved,
                       contact)


@pytest.mark.parametrize("change", [_resend_one, _deactivate_one, _new_address],
                         ids=["resend", "deactivation", "email-change"])
def test_feeds_and_downloads_carry_the_highest_sequence_emailed(app, auth, client, world, change):
    ailsa, homes, group = world
    session = add_session(group)
    _, first = deliver(app)
    assert session.sequence == 0
    change(homes, session)
    db.session.commit()
    _, sent = deliver(app)
    highest = max(int(event_of(m.calendar)["SEQUENCE"]) for m in sent)
    assert highest >= 1 and session.sequence == 0, "the email went out above the session's own"

    by_home = {m.to: m for m in first}
    other = by_home[homes[1].contacts[0].email]
    same_home = by_home[homes[0].contacts[1].email]
    assert int(feed_event(client, feed_token(same_home), session)["SEQUENCE"]) == highest
    assert int(feed_event(client, feed_token(other), session)["SEQUENCE"]) == highest
    assert int(download_event(client, join_token(other))["SEQUENCE"]) == highest
    auth.login(ailsa)
    assert int(event_of(client.get(f"/sessions/{session.id}/calendar.ics").data)["SEQUENCE"]) == highest

    # The next email to anyone goes out at least at that SEQUENCE, and rises for its recipient.
    services.resend(session, homes[1].contacts[0].id)
    db.session.commit()
    _, (again,) = deliver(app)
    assert int(event_of(again.calendar)["SEQUENCE"]) == highest


def test_the_feed_is_modified_when_a_higher_sequence_is_sent(app, client, world):
    """A client asking If-Modified-Since must not keep the copy with the older SEQUENCE."""
    _, homes, group = world
    session = add_session(group)
    _, first = deliver(app)
    db.session.execute(update(MeetingSession).where(MeetingSession.id == session.id)
                       .values(updated_at=NOW - timedelta(days=2)))
    db.session.commit()
    token = feed_token(first[0])
    before = client.get(f"/feeds/{token}.ics")
    set_now(app, NOW + timedelta(hours=1))
    _resend_one(homes, session)
    db.session.commit()
    deliver(app)
    after = client.get(f"/feeds/{token}.ics", headers={"If-Modified-Since": before.headers["Last-Modified"]})
    assert after.status_code == 200
    assert int(next(e for e in parse_icalendar(after.data).events)["SEQUENCE"]) == 1

