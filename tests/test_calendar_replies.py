"""Calendar replies (iMIP REPLY) read from a real IMAP server: Debian's Dovecot on loopback.

Invitations are booked and sent through the outbox as in production; the replies are put in the
organizer mailbox with IMAP APPEND, shaped as Outlook, Google Calendar and Apple Calendar send
them (``tests/fixtures/replies/``), and ``replies fetch`` reads them. No IMAP mocks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from facilitator.extensions import db
from facilitator.models import CalendarReply, Contact, MailboxMessage, MeetingSession, User
from facilitator.replies import worker
from facilitator.replies.ledger import LEASE
from facilitator.replies.parse import MAX_PART_BYTES
from facilitator.replies.queries import home_replies
from integrations.imap import ImapError
from tests.support.imap import Dovecot, running_dovecot
from tests.support.invites import JOINED, NOW, add_session, deliver, invites_config, set_now

FIXTURES = Path(__file__).parent / "fixtures" / "replies"
ORGANIZER = "psl-sessions@facilitator.example"
DONE = "Facilitator/Processed"


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def dovecot(imap_server: Dovecot) -> Dovecot:
    imap_server.reset()
    return imap_server


@pytest.fixture
def app(make_app, dovecot):
    app = make_app(**invites_config(ORGANIZER_EMAIL=ORGANIZER, **dovecot.settings(IMAP_DONE_FOLDER=DONE)))
    with app.app_context():
        yield app


@dataclass(frozen=True)
class Booked:
    """Plain values: ``replies fetch`` ends the database session, as every command does."""

    id: int
    ical_uid: str


@pytest.fixture
def booked(app, make) -> Booked:
    """A session whose invitations went out: Ardenlea House with two contacts, Bellfield with one."""
    homes = [make.home("Ardenlea House", contacts=2), make.home("Bellfield Court", contacts=1)]
    group = make.group("West of Scotland PSL", facilitators=[make.user("facilitator")], homes=homes,
                       joined_on=JOINED)
    session = add_session(group)
    report, sent = deliver(app)
    assert len(sent) == 3
    return Booked(session.id, session.ical_uid)


def contacts_of(home_name: str) -> list[str]:
    """The addresses of the home's contacts."""
    contacts = db.session.scalars(select(Contact).order_by(Contact.id))
    return [c.email for c in contacts if c.home.name == home_name]


def its_facilitator(booked: Booked) -> User:
    session = db.session.get(MeetingSession, booked.id)
    assert session is not None
    return session.group.facilitators[0]


def fixture(name: str, uid: str, attendee: str, sequence: int = 0) -> bytes:
    text = (FIXTURES / f"{name}.ics").read_text()
    values = {"UID": uid, "ATTENDEE": attendee, "ORGANIZER": ORGANIZER, "SEQUENCE": str(sequence)}
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text.encode()


def reply_email(ics: bytes | None, sender: str, *, headers: dict[str, str] | None = None,
                method_param: str | None = "REPLY", body: str = "Ann has accepted this invitation.") -> bytes:
    """An email as a calendar client sends it: a note and, if given, the calendar as text/calendar."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ORGANIZER
    msg["Subject"] = "Accepted: Peer Support and Learning"
    msg["Date"] = formatdate()
    msg["Message-ID"] = make_msgid(domain="client.example")
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    if ics is not None:
        params = {"method": method_param} if method_param else {}
        msg.add_alternative(ics, maintype="text", subtype="calendar", params=params)
    return msg.as_bytes()


def answers() -> dict[str, str]:
    db.session.rollback()
    rows = db.session.execute(select(Contact.email, CalendarReply.partstat).join(
        Contact, Contact.id == CalendarReply.contact_id)).all()
    return dict(rows)


def fetch(runner: Any) -> str:
    result = runner.invoke(args=["replies", "fetch"])
    assert result.exit_code == 0, result.output
    return result.output


# ------------------------------------------------------------------------ the three clients


def test_outlook_google_and_apple_replies_are_recorded_then_moved_and_seen(app, booked, dovecot, runner):
    ann, bob = contacts_of("Ardenlea House")
    (cara,) = contacts_of("Bellfield Court")
    dovecot.append(reply_email(fixture("outlook", booked.ical_uid, ann), ann))
    dovecot.append(reply_email(fixture("google", booked.ical_uid, bob.upper()), bob))
    dovecot.append(reply_email(fixture("apple", booked.ical_uid, cara), cara))

    output = fetch(runner)

    assert "3 messages read, 3 answers recorded" in output
    # Google's override names 11 March, an occurrence this one-off session does not have.
    assert "1 for no session of the event" in output
    assert answers() == {ann: "ACCEPTED", bob: "DECLINED", cara: "TENTATIVE"}
    assert dovecot.messages() == {}
    moved = dovecot.messages(DONE)
    assert len(moved) == 3 and all("\\Seen" in flags for flags in moved.values())
    assert "0 messages read" in fetch(runner)  # each message is read once


def test_a_reply_carries_the_answer_onto_the_session_page_and_the_register(app, booked, dovecot, runner, auth,
                                                                           client):
    ann, bob = contacts_of("Ardenlea House")
    (cara,) = contacts_of("Bellfield Court")
    dovecot.append(reply_email(fixture("outlook", booked.ical_uid, ann), ann))
    dovecot.append(reply_email(fixture("apple", booked.ical_uid, cara), cara))
    fetch(runner)
    auth.login(its_facilitator(booked))
    page = client.get(f"/sessions/{booked.id}").get_data(as_text=True)
    assert "Calendar replies" in page
    assert "<strong>Ardenlea House</strong>: Accepted 1 · No reply 1" in page
    assert "<strong>Bellfield Court</strong>: Maybe 1" in page
    register = client.get(f"/sessions/{booked.id}/register").get_data(as_text=True)
    assert "Calendar replies: Accepted 1." in register
    assert "Declined in calendar" not in register


def test_a_home_whose_every_contact_declined_shows_declined_in_calendar(app, booked, dovecot, runner, auth,
                                                                         client):
    ann, bob = contacts_of("Ardenlea House")
    dovecot.append(reply_email(fixture("google", booked.ical_uid, ann), ann))
    dovecot.append(reply_email(fixture("google", booked.ical_uid, bob), bob))
    fetch(runner)
    replies = home_replies(booked.id)
    assert [(r.home_name, r.declined, r.all_declined) for r in replies.values()] == [
        ("Ardenlea House", 2, True), ("Bellfield Court", 0, False)]
    auth.login(its_facilitator(booked))
    register = client.get(f"/sessions/{booked.id}/register").get_data(as_text=True)
    assert register.count("Declined in calendar") == 1
    assert "Calendar replies: Declined 2." in register


def test_a_reply_with_a_lower_sequence_never_replaces_a_newer_answer(app, booked, dovecot, runner):
    ann, _ = contacts_of("Ardenlea House")
    dovecot.append(reply_email(fixture("google", booked.ical_uid, ann, sequence=2), ann))
    dovecot.append(reply_email(fixture("outlook", booked.ical_uid, ann, sequence=1), ann))
    output = fetch(runner)
    assert "1 older than the answer kept" in output
    assert answers() == {ann: "DECLINED"}
    dovecot.append(reply_email(fixture("outlook", booked.ical_uid, ann, sequence=2), ann))
    assert "1 older than the answer kept" in fetch(runner)  # same SEQUENCE, but an earlier DTSTAMP
    dovecot.append(reply_email(fixture("apple", booked.ical_uid, ann, sequence=2), ann))
    assert "1 answers recorded" in fetch(runner)  # same SEQUENCE, later DTSTAMP: the new answer
    assert answers() == {ann: "TENTATIVE"}


# ------------------------------------------------------------------------ hostile mail


def _calendar(uid: str, attendee: str, *, method: str = "REPLY", partstat: str = "ACCEPTED") -> bytes:
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20250226T091500Z\r\nDTSTART:20250304T100000Z\r\nSEQUENCE:0\r\n"
            f"ATTENDEE;PARTSTAT={partstat}:mailto:{attendee}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def test_hostile_messages_are_skipped_counted_and_logged_and_the_worker_carries_on(
        app, booked, dovecot, runner, caplog):
    ann, bob = contacts_of("Ardenlea House")
    uid = booked.ical_uid
    secret = "The body of a message is never logged"
    hostile = [
        reply_email(b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:x\r\nEND:VCAL", ann,
                    body=secret),
        reply_email(_calendar(uid, ann) + b"X-PAD:" + b"x" * MAX_PART_BYTES + b"\r\n", ann),
        reply_email(_calendar("someone-elses-event@example.org", ann), ann),
        reply_email(_calendar(uid, "intruder@attacker.example"), "intruder@attacker.example"),
        reply_email(_calendar(uid, ann), ann, headers={"Auto-Submitted": "auto-replied"}),
        reply_email(None, bob, headers={"X-Autoreply": "yes"}, body="I am out of the office"),
        reply_email(_calendar(uid, ann), ann, headers={"Precedence": "bulk"}),
        reply_email(_calendar(uid, ann), f"PSL Sessions <{ORGANIZER.upper()}>"),
        reply_email(_calendar(uid, ann, method="REQUEST"), ann, method_param="REQUEST"),
        reply_email(_calendar(uid, ann, partstat="NEEDS-ACTION"), ann),
        reply_email(None, bob, body="Sorry, we can't make Tuesday. " + secret),
        b"\xff\xfe not an email at all \x00\r\n\r\n",
        reply_email(_calendar(uid, bob, partstat="DECLINED"), bob),  # the one good reply
    ]
    for raw in hostile:
        dovecot.append(raw)
    with caplog.at_level(logging.INFO, logger="facilitator.replies"):
        output = fetch(runner)
    assert answers() == {bob: "DECLINED"}
    for phrase in ("13 messages read", "1 answers recorded", "1 for unknown events",
                   "1 from addresses not invited", "1 other answers", "3 without a calendar reply",
                   "3 auto-replies", "1 from our own address", "1 malformed", "1 too large", "0 failed"):
        assert phrase in output, (phrase, output)
    assert secret not in caplog.text and "Mailbox message skipped: too_large" in caplog.text
    # Replies (even ignored ones) are finished; everything else is left unread for a person.
    assert len(dovecot.messages(DONE)) == 4
    left = dovecot.messages()
    assert len(left) == 9 and not any("\\Seen" in flags for flags in left.values())
    assert "0 messages read" in fetch(runner)


def test_an_invited_address_is_matched_whatever_its_case_or_domain_form(app, make, dovecot, runner):
    home = make.home("Dùn Èideann House", contacts=0)
    contact = Contact(home=home, name="Mòrag", email="morag@dùn.example")
    db.session.add(contact)
    db.session.commit()
    group = make.group("IDN group", homes=[home], joined_on=JOINED)
    session = add_session(group)
    deliver(app)
    dovecot.append(reply_email(fixture("apple", session.ical_uid, "MORAG@xn--dn-oka.example"),
                               "morag@xn--dn-oka.example"))
    assert "1 answers recorded" in fetch(runner)
    assert answers() == {"morag@dùn.example": "TENTATIVE"}


# ------------------------------------------------------------------------ workers and mailboxes


@pytest.mark.real_commits  # workers in threads, each with its own connection
def test_two_workers_at_once_read_each_message_once(app, make, dovecot):
    homes = [make.home(contacts=3) for _ in range(2)]
    group = make.group("Busy group", homes=homes, joined_on=JOINED)
    session = add_session(group)
    deliver(app)
    contacts = list(db.session.scalars(select(Contact)))
    for contact in contacts:
        dovecot.append(reply_email(fixture("outlook", session.ical_uid, contact.email), contact.email))
    db.session.rollback()  # the test's own transaction would hold SQLite's write lock
    barrier = threading.Barrier(2)
    reports: list[Any] = []
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            with app.app_context():
                barrier.wait()
                reports.append(worker.run_once(worker=name))
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(r.read for r in reports) == len(contacts) == 6
    assert sum(r.recorded for r in reports) == 6
    assert db.session.scalar(select(func.count()).select_from(CalendarReply)) == 6
    assert db.session.scalar(select(func.count()).select_from(MailboxMessage)) == 6
    assert len(dovecot.messages(DONE)) == 6 and dovecot.messages() == {}


def test_a_new_uidvalidity_starts_over_and_reading_again_changes_nothing(make_app, make, dovecot):
    app = make_app(**invites_config(**dovecot.settings(IMAP_FOLDER="Replies", IMAP_DONE_FOLDER="")))
    with app.app_context():
        group = make.group("Group", homes=[make.home(contacts=1)], joined_on=JOINED)
        session = add_session(group)
        deliver(app)
        (contact,) = db.session.scalars(select(Contact))
        raw = reply_email(fixture("outlook", session.ical_uid, contact.email), contact.email)
        with dovecot.client() as conn:
            conn.create('"Replies"')
        dovecot.append(raw, "Replies")
        first = worker.run_once()
        assert (first.read, first.recorded) == (1, 1)
        assert dovecot.messages("Replies") == {1: {"\\Seen"}}  # no done folder: it stays, marked read
        assert worker.run_once().read == 0
        with dovecot.client() as conn:  # the folder is rebuilt: a new UIDVALIDITY, UIDs from 1 again
            conn.delete('"Replies"')
            conn.create('"Replies"')
        dovecot.append(raw, "Replies")
        again = worker.run_once()
        assert (again.read, again.recorded, again.unchanged) == (1, 0, 1)
        assert db.session.scalar(select(func.count(func.distinct(MailboxMessage.uidvalidity)))) == 2


def test_without_move_a_reply_is_copied_flagged_deleted_and_expunged(make_app, make):
    # Servers without RFC 6851 MOVE (older Exchange, some hosted IMAP) still offer UIDPLUS.
    capabilities = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS"
    with running_dovecot(extra_config=capabilities) as server:
        app = make_app(**invites_config(**server.settings(IMAP_DONE_FOLDER="Calendar replies")))
        with app.app_context():
            group = make.group("Group", homes=[make.home(contacts=1)], joined_on=JOINED)
            session = add_session(group)
            deliver(app)
            (contact,) = db.session.scalars(select(Contact))
            server.append(reply_email(fixture("google", session.ical_uid, contact.email), contact.email))
            server.append(reply_email(None, contact.email, body="See you on Tuesday"))
            report = worker.run_once()
            assert (report.read, report.recorded) == (2, 1)
            assert server.messages() == {2: set()}  # the person's email stays, unread
            (moved,) = server.messages("Calendar replies").values()
            assert "\\Seen" in moved and "\\Deleted" not in moved
            with server.client() as conn:
                assert b"MOVE" not in conn.capability()[1][-1].split()


def test_a_reply_the_server_could_not_move_is_moved_by_a_later_pass(make_app, make, dovecot):
    refusing = make_app(**invites_config(**dovecot.settings(IMAP_DONE_FOLDER="~not-allowed")))
    with refusing.app_context():
        group = make.group("Group", homes=[make.home(contacts=1)], joined_on=JOINED)
        session = add_session(group)
        deliver(refusing)
        (contact,) = db.session.scalars(select(Contact))
        email = contact.email
        dovecot.append(reply_email(fixture("apple", session.ical_uid, email), email))
        with pytest.raises(ImapError, match="CREATE"):  # Dovecot refuses a folder name beginning with ~
            worker.run_once()
        assert answers() == {email: "TENTATIVE"}  # recorded before the server was told
        assert list(dovecot.messages().values()) == [{"\\Seen"}]  # flagged, not moved
    working = make_app(**invites_config(**dovecot.settings(IMAP_DONE_FOLDER=DONE)))
    with working.app_context():
        assert worker.run_once().finished_late == 0  # the first pass's lease still holds it
        set_now(working, NOW + LEASE + timedelta(seconds=1))
        report = worker.run_once()
        assert (report.read, report.finished_late) == (0, 1)
        assert dovecot.messages() == {} and len(dovecot.messages(DONE)) == 1
        assert worker.run_once().finished_late == 0


def test_imap_over_tls_checks_the_servers_certificate(make_app, make, monkeypatch):
    with running_dovecot(ssl=True) as server:
        app = make_app(**invites_config(**server.settings(IMAP_DONE_FOLDER=DONE)))
        with app.app_context():
            runner = app.test_cli_runner()
            server.append(reply_email(None, "someone@home.example", body="Hello"))
            refused = runner.invoke(args=["replies", "fetch"])
            assert refused.exit_code == 1 and "CERTIFICATE_VERIFY_FAILED" in refused.output
            monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)  # trust the test's own certificate
            assert "1 messages read" in fetch(runner)


def test_without_imap_host_fetch_reads_nothing(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        output = fetch(app.test_cli_runner())
    assert "IMAP_HOST is not set" in output


@pytest.mark.parametrize(("setting", "message"), [
    ({"IMAP_PORT": 0}, "IMAP_PORT"),
    ({"IMAP_SSL": "yes"}, "IMAP_SSL"),
    ({"IMAP_FOLDER": ""}, "IMAP_FOLDER"),
    ({"IMAP_DONE_FOLDER": "Traité"}, "IMAP_DONE_FOLDER"),
    ({"IMAP_HOST": "imap.example.org"}, "IMAP_USERNAME"),
    ({"IMAP_HOST": "imap.example.org", "IMAP_USERNAME": "u", "IMAP_DONE_FOLDER": "INBOX"},
     "IMAP_DONE_FOLDER"),
])
def test_unusable_imap_settings_stop_the_app_at_start(make_app, setting, message):
    with pytest.raises(ValueError, match=message):
        make_app(**setting)
