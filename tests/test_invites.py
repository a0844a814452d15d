"""Invites, updates and cancellations: who gets them, and what real calendars will read.

Every calendar sent is parsed back by two independent parsers (``icalendar`` and ``vobject`` with
validation on), compared field by field, and run through our own lint (CRLF, folding, stray CR/LF,
TZIDs, RFC 5546 required properties, MIME method = body METHOD, SEQUENCE rising per UID).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from facilitator.admin import services as admin
from facilitator.extensions import db
from facilitator.invites import queries
from facilitator.invites.outbox import run_once
from facilitator.invites.wording import time_in_words
from facilitator.models import InvitationToken, InviteDelivery, OutboxMessage
from integrations.ical import clean_param, clean_text
from integrations.icslint import check_sequence_rises, lint
from tests.integrations.test_ical import HOSTILE, count_lines, unfolded
from tests.support.factories import Factory
from tests.support.invites import (
    BASE,
    JOIN_URL,
    JOINED,
    NOW,
    START,
    WHEN,
    Sent,
    add_session,
    cancel,
    deliver,
    invites_config,
    outbox_rows,
    parsed_event,
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
    """A facilitator's group with two member homes (two active contacts each)."""
    facilitator = make.user("facilitator", name="Ailsa Fraser", email=AILSA)
    homes = [make.home("Ardenlea House"), make.home("Bellfield Court")]
    group = make.group("West of Scotland PSL", facilitators=[facilitator], homes=homes, joined_on=JOINED)
    return facilitator, homes, group


def emails(homes) -> set[str]:
    return {c.email for home in homes for c in home.contacts if c.is_active}


def assert_imip_layout(msg: EmailMessage, method: str) -> bytes:
    """multipart/mixed > alternative(plain, html, calendar) + invite.ics; returns the calendar."""
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.iter_parts()
    plain, html, cal_part = alternative.iter_parts()
    types = [p.get_content_type() for p in (plain, html, cal_part)]
    assert types == ["text/plain", "text/html", "text/calendar"]
    assert cal_part.get_param("method") == method
    assert cal_part.get_param("charset").upper() == "UTF-8"
    assert attachment.get_filename() == "invite.ics"
    calendar = cal_part.get_payload(decode=True)
    assert attachment.get_payload(decode=True) == calendar
    assert lint(calendar, expected_method=method) == []
    return calendar


def check_event(sent: Sent, session, *, method: str, sequence: int, organizer: str = AILSA,
                organizer_name: str = "Ailsa Fraser", summary: str | None = None,
                contact_name: str | None = None):
    """Field-by-field comparison of one emailed VEVENT in both parsers."""
    calendar = assert_imip_layout(sent.msg, method)
    lib, vob = parsed_event(calendar)
    status = "CANCELLED" if method == "CANCEL" else "CONFIRMED"
    assert str(lib["UID"]) == session.ical_uid == vob.uid.value
    assert int(lib["SEQUENCE"]) == sequence == int(vob.sequence.value)
    assert count_lines(calendar, "SEQUENCE") == 1
    assert lib.decoded("DTSTART") == session.starts_at == vob.dtstart.value
    assert lib.decoded("DTEND") == session.ends_at == vob.dtend.value
    assert lib.decoded("DTSTAMP") == NOW == vob.dtstamp.value
    expected_summary = clean_text(summary if summary is not None else session.title)
    assert str(lib["SUMMARY"]) == expected_summary == vob.summary.value
    assert str(lib["STATUS"]) == status == vob.status.value
    assert str(lib["ORGANIZER"]) == f"mailto:{organizer}" == vob.organizer.value
    assert lib["ORGANIZER"].params["CN"] == clean_param(organizer_name)
    attendee = lib["ATTENDEE"]
    assert not isinstance(attendee, list), "exactly one ATTENDEE"
    assert str(attendee) == f"mailto:{sent.to}" == vob.attendee.value
    assert len(vob.contents["attendee"]) == 1
    params = dict(vob.attendee.params)
    assert params["ROLE"] == ["REQ-PARTICIPANT"] and params["PARTSTAT"] == ["NEEDS-ACTION"]
    # A REQUEST asks for a reply; a CANCEL never does.
    assert params.get("RSVP") == (["TRUE"] if method == "REQUEST" else None)
    if contact_name is not None:
        assert params["CN"] == [clean_param(contact_name)]
    for line in unfolded(calendar):
        if line.split(":", 1)[0] in ("DTSTART", "DTEND", "DTSTAMP"):
            assert line.endswith("Z"), line
    assert "TZID" not in calendar.decode()
    assert JOIN_URL not in calendar.decode(), "the raw provider URL never reaches a calendar"
    if method == "REQUEST":
        (join,) = sent.links(f"{BASE}/j/")
        assert str(lib["LOCATION"]) == join == vob.location.value
        assert str(lib["URL"]) == join == vob.url.value
        assert join in str(lib["DESCRIPTION"]) and join == vob.location.value
        (alarm,) = lib.walk("VALARM")
        assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)
    else:
        assert list(lib.walk("VALARM")) == []
    return lib, vob


# ------------------------------------------------------------------------------ who is invited


def test_booking_invites_each_active_contact_of_each_member_home_on_the_session_date(app, make, world):
    _, homes, group = world
    admin.save_contact(homes[0], admin.ContactData("Gone Away", "gone@ardenlea.example", "manager", False))
    left = make.home("Left Before")
    later = make.home("Joins Later")
    admin.add_member(group, left.id, date(2025, 1, 6))
    admin.end_membership(group, left.id, date(2025, 3, 4))  # leaves on the session's day: not a member
    admin.add_member(group, later.id, date(2025, 3, 5))  # joins the day after
    other = make.group("Another group", homes=[make.home("Elsewhere")], joined_on=JOINED)
    db.session.commit()

    session = add_session(group)
    add_session(other, title="Not ours")

    rows = outbox_rows(session_id=session.id)
    assert {r.to_email for r in rows} == emails(homes)
    assert {r.kind for r in rows} == {"request"}
    assert len({r.message_id for r in rows}) == len(rows), "each message has its own Message-ID"


def test_invites_are_written_in_the_same_transaction_as_the_booking(app, world):
    _, _, group = world
    session = add_session(group, book=False)
    from facilitator.invites import hooks

    hooks.session_booked(session)
    db.session.rollback()  # the booking is abandoned: its emails go with it
    assert outbox_rows() == []
    hooks.session_booked(session)
    db.session.commit()
    assert len(outbox_rows()) == 4


# ------------------------------------------------------------------------- the invite itself


def test_invite_is_an_imip_request_that_two_parsers_read_field_by_field(app, world):
    facilitator, homes, group = world
    session = add_session(group, dial_in="+44 131 460 1196", passcode="424242")
    _, sent = deliver(app)
    assert {s.to for s in sent} == emails(homes)
    by_address = {c.email: c for home in homes for c in home.contacts}
    for mail in sent:
        contact = by_address[mail.to]
        check_event(mail, session, method="REQUEST", sequence=0, contact_name=contact.name)
        assert mail.msg["Subject"] == "Invitation: Peer Support and Learning, Tuesday 4 March at 10:00"
        assert mail.msg["To"].addresses[0].display_name == contact.name
        assert mail.msg["Reply-To"] == facilitator.email
        assert mail.msg["Message-ID"] in {r.message_id for r in outbox_rows()}
        for body in (mail.text, mail.html):
            assert WHEN in body
            assert "+44 131 460 1196" in body and "424242" in body
            assert JOIN_URL not in body, "the email carries the contact's own link, not the provider's"
            assert f"{BASE}/h/" in body and "webcal://psl.example.org/feeds/" in body
        (join,) = mail.links(f"{BASE}/j/")
        assert join in mail.html


def test_the_invitation_names_the_active_facilitators_and_how_to_reach_them(app, make, world):
    facilitator, _, group = world
    gone = make.user("facilitator", name="Former Facilitator")
    gone.is_active = False
    group.facilitators.append(gone)
    facilitator.phone = "0131 496 0000"
    db.session.commit()
    add_session(group)
    _, sent = deliver(app)
    for mail in sent:
        who, mailto = f"{facilitator.name}, {facilitator.email}", f'<a href="mailto:{facilitator.email}">'
        assert f"Your facilitator (questions, or if you cannot come):\n{who}, 0131 496 0000" in mail.text
        assert f"{facilitator.name}, {mailto}{facilitator.email}</a>" in mail.html
        assert '<a href="tel:01314960000">0131 496 0000</a>' in mail.html
        assert "Former Facilitator" not in mail.text + mail.html, "only active facilitators"


def test_each_contact_gets_their_own_join_link_stored_only_as_a_hash(app, world):
    _, _, group = world
    add_session(group)
    _, sent = deliver(app)
    tokens = [mail.links(f"{BASE}/j/")[0].rsplit("/", 1)[1] for mail in sent]
    assert len(set(tokens)) == len(sent) == 4
    assert all(len(t) >= 43 for t in tokens), "at least 256 random bits, base64url"
    stored = set(db.session.scalars(select(InvitationToken.token_hash)))
    import hashlib

    assert {hashlib.sha256(t.encode()).hexdigest() for t in tokens} <= stored
    assert not stored & set(tokens)


def test_sent_bodies_are_cleared_so_tokens_do_not_rest_in_the_database(app, world):
    _, _, group = world
    add_session(group)
    deliver(app)
    for row in outbox_rows():
        assert row.status == "sent"
        assert row.body_text is None and row.body_html is None and row.calendar is None
        assert row.subject and row.sequence == 0


# ----------------------------------------------------------------- updates and cancellations


def test_reschedule_rename_and_cancel_keep_the_uid_and_raise_the_sequence(app, world):
    _, homes, group = world
    session = add_session(group)
    _, invites = deliver(app)
    reschedule(session, starts_at=datetime(2025, 3, 11, 14, 0, tzinfo=UTC))
    _, moved = deliver(app)
    reschedule(session, title="Peer support: winter wellbeing")
    _, renamed = deliver(app)
    cancel(session)
    _, cancelled = deliver(app)

    for batch in (moved, renamed, cancelled):
        assert {m.to for m in batch} == emails(homes), "every invited contact hears of every change"
    for mail in moved:
        check_event(mail, session, method="REQUEST", sequence=1, summary="Peer Support and Learning")
        assert mail.msg["Subject"].startswith("Updated: ")
        assert "Tuesday 11 March, 14:00–15:30 (UK time)" in mail.text
        lib, _ = parsed_event(mail.calendar)
        assert lib.decoded("DTSTART") == datetime(2025, 3, 11, 14, 0, tzinfo=UTC)
    for mail in renamed:
        check_event(mail, session, method="REQUEST", sequence=2)
    for mail in cancelled:
        check_event(mail, session, method="CANCEL", sequence=3)
        assert mail.msg["Subject"].startswith("Cancelled: ")
        assert "CANCELLED" in mail.text
    for address in emails(homes):
        history = [m.calendar for m in invites + moved + renamed + cancelled if m.to == address]
        assert len(history) == 4
        assert check_sequence_rises(history) == []


def test_a_change_before_the_invite_went_out_replaces_it(app, world):
    _, homes, group = world
    session = add_session(group)
    reschedule(session, starts_at=START + timedelta(hours=2))
    _, sent = deliver(app)
    assert sorted(m.to for m in sent) == sorted(emails(homes)), "one email each, not two"
    for mail in sent:
        check_event(mail, session, method="REQUEST", sequence=1)
        assert mail.msg["Subject"].startswith("Invitation: ")
    assert {r.status for r in outbox_rows(reason="booked")} == {"skipped"}


def test_cancelling_before_anything_was_sent_sends_nothing(app, world):
    _, _, group = world
    session = add_session(group)
    cancel(session)
    _, sent = deliver(app)
    assert sent == []
    assert {d.status for d in db.session.scalars(select(InviteDelivery))} == {"skipped"}


def test_sessions_that_have_ended_are_left_alone(app, world):
    _, _, group = world
    set_now(app, NOW - timedelta(days=30))
    session = add_session(group, starts_at=NOW - timedelta(days=2))
    deliver(app)
    set_now(app, NOW)
    cancel(session)
    _, sent = deliver(app)
    assert sent == []


# ------------------------------------------------------------------ membership and contacts


def test_a_home_that_joins_later_is_invited_to_future_sessions_only(app, make, world):
    _, _, group = world
    past = add_session(group, starts_at=NOW - timedelta(days=7))
    future = add_session(group)
    deliver(app)
    newcomer = make.home("Craigmhor Care Home")
    admin.add_member(group, newcomer.id, date(2025, 2, 1))
    db.session.commit()
    _, sent = deliver(app)
    assert {m.to for m in sent} == emails([newcomer])
    for mail in sent:
        check_event(mail, future, method="REQUEST", sequence=0)
    assert outbox_rows(session_id=past.id) == []


def test_a_home_that_leaves_gets_a_cancel_for_sessions_after_it_left(app, world):
    _, homes, group = world
    first = add_session(group)
    second = add_session(group, starts_at=START + timedelta(days=14))
    deliver(app)
    admin.end_membership(group, homes[1].id, date(2025, 3, 10))
    db.session.commit()
    _, sent = deliver(app)
    assert {m.to for m in sent} == emails([homes[1]])
    for mail in sent:
        check_event(mail, second, method="CANCEL", sequence=1)
    assert all(r.reason == "booked" for r in outbox_rows(session_id=first.id))


def test_a_contact_made_inactive_gets_a_cancel_and_an_invite_when_active_again(app, world):
    _, homes, group = world
    session = add_session(group)
    deliver(app)
    contact = homes[0].contacts[0]
    data = admin.ContactData(contact.name, contact.email, contact.role, False)
    admin.save_contact(homes[0], data, contact)
    db.session.commit()
    _, cancelled = deliver(app)
    assert [m.to for m in cancelled] == [contact.email]
    check_event(cancelled[0], session, method="CANCEL", sequence=1)

    admin.save_contact(homes[0], admin.ContactData(contact.name, contact.email, contact.role, True), contact)
    db.session.commit()
    _, again = deliver(app)
    assert [m.to for m in again] == [contact.email]
    check_event(again[0], session, method="REQUEST", sequence=2)


def test_a_new_email_address_gets_the_invite_and_the_old_one_a_cancel(app, world):
    _, homes, group = world
    session = add_session(group)
    deliver(app)
    contact = homes[0].contacts[0]
    old = contact.email
    admin.save_contact(homes[0], admin.ContactData(contact.name, "new.address@ardenlea.example",
                                                   contact.role, True), contact)
    db.session.commit()
    _, sent = deliver(app)
    assert [(m.to, m.method) for m in sent] == [(old, "CANCEL"), ("new.address@ardenlea.example", "REQUEST")]
    check_event(sent[0], session, method="CANCEL", sequence=1)
    check_event(sent[1], session, method="REQUEST", sequence=2)


def test_a_contact_added_to_a_member_home_is_invited(app, world):
    _, homes, group = world
    session = add_session(group)
    deliver(app)
    admin.save_contact(homes[0], admin.ContactData("Eilidh Ross", "eilidh@ardenlea.example", "care_worker"))
    db.session.commit()
    _, sent = deliver(app)
    assert [m.to for m in sent] == ["eilidh@ardenlea.example"]
    check_event(sent[0], session, method="REQUEST", sequence=0, contact_name="Eilidh Ross")


# ---------------------------------------------------------------------- organizer rules


def test_the_organizer_is_never_a_recipient(app, make):
    facilitator = make.user("facilitator", name="Dual Role", email="dual@home.example")
    home = make.home("Dual Home", contacts=0)
    admin.save_contact(home, admin.ContactData("Dual Role", "dual@home.example", "manager"))
    group = make.group("Dual group", facilitators=[facilitator], homes=[home], joined_on=JOINED)
    session = add_session(group)
    _, (mail,) = deliver(app)
    check_event(mail, session, method="REQUEST", sequence=0, organizer="sessions@facilitator.example",
                organizer_name="PSL Sessions")
    assert lint(mail.calendar, expected_method="REQUEST") == []


def test_a_configured_organizer_mailbox_is_used(make_app):
    app = make_app(**invites_config(ORGANIZER_EMAIL="psl-team@nhs.example", ORGANIZER_NAME="PSL Team",
                                    MAIL_REPLY_TO="replies@nhs.example"))
    with app.app_context():
        make = Factory(app)
        group = make.group("Organised", facilitators=[make.user("facilitator")], homes=[make.home()],
                           joined_on=JOINED)
        session = add_session(group)
        _, sent = deliver(app)
        for mail in sent:
            check_event(mail, session, method="REQUEST", sequence=0, organizer="psl-team@nhs.example",
                        organizer_name="PSL Team")
            assert mail.msg["Reply-To"] == "replies@nhs.example"


# ------------------------------------------------------------------------------ injection


@pytest.mark.parametrize("hostile", HOSTILE, ids=range(len(HOSTILE)))
def test_user_text_cannot_add_properties_components_or_attendees(app, make, hostile):
    hostile = hostile.replace("\x00", "")[:190]  # what a database column can hold (PostgreSQL refuses NUL)
    facilitator = make.user("facilitator", name=hostile)
    home = make.home(hostile, contacts=0)
    admin.save_contact(home, admin.ContactData(hostile, "ann@hostile.example", "manager"))
    group = make.group(f"{hostile} group", facilitators=[facilitator], homes=[home], joined_on=JOINED)
    session = add_session(group, title=hostile)
    reschedule(session, title=hostile + " (moved)")
    _, updates = deliver(app)
    cancel(session)
    _, cancels = deliver(app)
    assert len(updates) == len(cancels) == 1
    for mail, method in ((updates[0], "REQUEST"), (cancels[0], "CANCEL")):
        assert mail.to == "ann@hostile.example"
        lib, vob = check_event(mail, session, method=method, sequence=1 if method == "REQUEST" else 2,
                               organizer=facilitator.email, organizer_name=hostile, contact_name=hostile)
        calendar = mail.calendar
        assert count_lines(calendar, "BEGIN") == count_lines(calendar, "END") == 2 + (method == "REQUEST")
        assert count_lines(calendar, "ATTENDEE") == 1
        assert not any(line.startswith(("BEGIN:VEVENT", "END:VEVENT", "SUMMARY:injected"))
                       for line in unfolded(calendar)[7:-2]), "no injected line inside the event"
        assert "\r" not in str(lib["DESCRIPTION"]) and "\r" not in vob.description.value
        assert mail.msg["Subject"].count("\n") == 0
        assert mail.msg["To"].addresses[0].addr_spec == "ann@hostile.example"


# --------------------------------------------------------------------------- time in words


@pytest.mark.parametrize(("start", "end", "now", "expected"), [
    (datetime(2025, 3, 4, 10, 0, tzinfo=UTC), datetime(2025, 3, 4, 11, 30, tzinfo=UTC), NOW,
     "Tuesday 4 March, 10:00–11:30 (UK time)"),
    (datetime(2026, 3, 29, 9, 0, tzinfo=UTC), datetime(2026, 3, 29, 10, 30, tzinfo=UTC),
     datetime(2026, 3, 1, tzinfo=UTC), "Sunday 29 March, 10:00–11:30 (UK time)"),
    (datetime(2026, 1, 6, 10, 0, tzinfo=UTC), datetime(2026, 1, 6, 11, 0, tzinfo=UTC), NOW,
     "Tuesday 6 January 2026, 10:00–11:00 (UK time)"),
    (datetime(2025, 3, 4, 23, 0, tzinfo=UTC), datetime(2025, 3, 5, 0, 30, tzinfo=UTC), NOW,
     "Tuesday 4 March, 23:00 – Wednesday 5 March, 00:30 (UK time)"),
], ids=["gmt", "bst", "next-year", "past-midnight"])
def test_time_in_words(app, start, end, now, expected):
    assert time_in_words(start, end, "Europe/London", now) == expected


# ------------------------------------------------------------------- the facilitator's view


def test_facilitator_sees_who_was_sent_what_and_can_resend(app, auth, client, world):
    facilitator, homes, group = world
    session = add_session(group)
    deliver(app)
    auth.login(facilitator)
    page = client.get(f"/sessions/{session.id}/invitations").get_data(as_text=True)
    for contact in homes[0].contacts + homes[1].contacts:
        assert contact.email in page
    assert page.count("Version 0") == 4 and page.count(">Sent<") == 4

    contact = homes[0].contacts[0]
    response = auth.post(f"/sessions/{session.id}/invitations/resend", {"contact_id": contact.id},
                         page=f"/sessions/{session.id}/invitations")
    assert response.status_code == 302
    _, (mail,) = deliver(app)
    assert mail.to == contact.email
    check_event(mail, session, method="REQUEST", sequence=1)

    response = auth.post(f"/sessions/{session.id}/invitations/resend", {},
                         page=f"/sessions/{session.id}/invitations")
    _, sent = deliver(app)
    assert {m.to for m in sent} == emails(homes) and len(sent) == 4
    page = client.get(f"/sessions/{session.id}/invitations").get_data(as_text=True)
    # Every copy carries the highest SEQUENCE sent for the UID: 2, the resent contact's, for all.
    assert page.count("Version 2") == 4 and "Version 1" not in page


def test_the_delivery_view_shows_a_failure(app, auth, client, world):
    facilitator, homes, group = world
    session = add_session(group)
    row = outbox_rows()[0]
    row.status, row.last_error = "failed", "SMTP 550: recipient refused"
    delivery = db.session.scalar(select(InviteDelivery).where(InviteDelivery.contact_id == row.contact_id))
    delivery.status, delivery.error = "failed", "SMTP 550: recipient refused"
    db.session.commit()
    auth.login(facilitator)
    page = client.get(f"/sessions/{session.id}/invitations").get_data(as_text=True)
    assert "Failed" in page and "SMTP 550: recipient refused" in page


def test_only_the_groups_facilitators_and_admins_resend(app, auth, client, make, world):
    _, _, group = world
    session = add_session(group)
    auth.login(make.user("facilitator"))  # another group's facilitator: not even told it exists
    assert client.get(f"/sessions/{session.id}/invitations").status_code == 404
    response = auth.post(f"/sessions/{session.id}/invitations/resend", {}, page="/account")
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 4


def test_lead_sees_the_delivery_view_without_resend(app, auth, client, world):
    _, _, group = world
    session = add_session(group)
    auth.login("lead")
    page = client.get(f"/sessions/{session.id}/invitations").get_data(as_text=True)
    assert "Resend" not in page


def test_facilitator_downloads_the_session_as_ics(app, auth, client, world):
    facilitator, _, group = world
    session = add_session(group)
    auth.login(facilitator)
    response = client.get(f"/sessions/{session.id}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    ics = response.data
    assert lint(ics, expected_method="PUBLISH") == []
    lib, vob = parsed_event(ics)
    assert str(lib["UID"]) == session.ical_uid == vob.uid.value
    assert "ATTENDEE" not in lib


# ------------------------------------------------------------------------ a contact's links


def test_admin_revokes_a_contacts_links_and_sends_a_new_one(app, auth, client, world):
    _, homes, group = world
    add_session(group)
    _, sent = deliver(app)
    contact = homes[0].contacts[0]
    (mail,) = [m for m in sent if m.to == contact.email]
    join, personal = mail.links(f"{BASE}/j/")[0], mail.links(f"{BASE}/h/")[0]
    assert client.get(join.removeprefix(BASE)).status_code == 200
    assert client.get(personal.removeprefix(BASE)).status_code == 200

    auth.login("admin")
    assert "Join links that still work" in client.get(f"/contacts/{contact.id}/links").get_data(as_text=True)
    auth.post(f"/contacts/{contact.id}/links/revoke", {}, page=f"/contacts/{contact.id}/links")
    assert client.get(join.removeprefix(BASE)).status_code == 404
    assert client.get(personal.removeprefix(BASE)).status_code == 404

    auth.post(f"/contacts/{contact.id}/links/send", {}, page=f"/contacts/{contact.id}/links")
    _, (new,) = deliver(app)
    assert new.to == contact.email and new.calendar is None
    fresh = new.links(f"{BASE}/h/")[0]
    assert fresh != personal
    assert client.get(fresh.removeprefix(BASE)).status_code == 200


def test_a_session_page_can_include_the_invitation_summary(app, world):
    from flask import render_template

    _, _, group = world
    session = add_session(group)
    run_once(backend=FailingBackend(), limit=1)
    deliver(app)
    with app.test_request_context():
        html = render_template("invites/_session_summary.html", session=session,
                               invites=queries.invite_summary(session))
    assert "4 contacts invited" in html and "3 sent" in html and "1 failed" in html
    assert f'href="/sessions/{session.id}/invitations"' in html


class FailingBackend:
    def send(self, email) -> None:
        from integrations.mailer import MailError

        raise MailError("SMTP 550: no such user", transient=False, code=550)
