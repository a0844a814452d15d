"""A contact's two personal links: one home-page link and one feed link, re-used by every email.

Rotating either (on the contact's links page) revokes the old one; a home-page link expires after
``HOME_LINK_EXPIRY_DAYS`` and its page then offers to email a fresh one; a feed link never expires.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.models import Contact, ContactToken, MeetingSession, MessageKind, OutboxMessage
from tests.conftest import TEST_SECRET
from tests.support.factories import csrf_token
from tests.support.invites import (
    BASE,
    JOINED,
    NOW,
    START,
    add_session,
    deliver,
    invites_config,
    outbox_rows,
    reschedule,
    set_now,
)

FEED = "webcal://psl.example.org/feeds/"
NOT_VALID = "This link does not work"


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make):
    """A group with one member home (two contacts), a session booked and its invites sent."""
    homes = [make.home("Ardenlea House")]
    group = make.group("West of Scotland PSL", facilitators=[make.user("facilitator")], homes=homes,
                       joined_on=JOINED)
    session = add_session(group)
    _, mails = deliver(app)
    return homes[0].contacts[0], group, session, mails


def mine(mails, contact):
    return [m for m in mails if m.to == contact.email]


def home_path(mail) -> str:
    (url, *_) = mail.links(f"{BASE}/h/")
    return url.removeprefix(BASE)


def feed_path(mail) -> str:
    (url,) = mail.links(FEED)
    return "/" + url.removeprefix("webcal://psl.example.org/") + ".ics"


def live_links(contact) -> list[ContactToken]:
    db.session.rollback()
    return list(db.session.scalars(select(ContactToken).where(
        ContactToken.contact_id == contact.id, ContactToken.revoked_at.is_(None))))


def post_form(client, path: str, data: dict | None = None):
    """POST the form on ``path``'s own page, with that page's CSRF token."""
    html = client.get(path).get_data(as_text=True)
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(html)})


def test_every_email_carries_the_same_two_links(app, auth, client, world):
    contact, group, session, first = world
    add_session(group, title="The week after", starts_at=START + timedelta(days=7))
    reschedule(session, starts_at=START + timedelta(hours=2))
    _, more = deliver(app)
    auth.login("admin")
    auth.post(f"/contacts/{contact.id}/links/send", {}, page=f"/contacts/{contact.id}/links")
    _, last = deliver(app)
    mails = mine(first + more + last, contact)
    assert len(mails) == 4 and mails[-1].calendar is None
    assert len({home_path(m) for m in mails}) == 1, "every email re-uses the one home-page link"
    assert len({feed_path(m) for m in mails}) == 1, "... and the one feed link"
    home, feed = home_path(mails[0]), feed_path(mails[0])
    assert home.removeprefix("/h/") not in feed, "the feed link is a link of its own"
    assert sorted(t.kind for t in live_links(contact)) == ["feed", "home"]
    assert client.get(home).status_code == 200
    assert client.get(feed).status_code == 200
    assert client.get(home.replace("/h/", "/feeds/") + ".ics").status_code == 404, "single-purpose"
    assert client.get(feed.replace("/feeds/", "/h/").removesuffix(".ics")).status_code == 404


def test_a_page_and_a_feed_show_the_same_links_the_emails_carry(app, client, world):
    contact, _, session, mails = world
    (mail,) = mine(mails, contact)
    home, feed = home_path(mail), feed_path(mail)
    page = client.get(home).get_data(as_text=True)
    assert f"{BASE}{feed}" in page
    ics = client.get(feed).get_data(as_text=True)
    assert f"{BASE}/feeds/" in ics and f"{BASE}{home}" not in ics, "the feed does not carry the page link"
    (event_url,) = {line.split(":", 1)[1] for line in ics.replace("\r\n ", "").splitlines()
                    if line.startswith("URL")}
    set_now(app, session.starts_at)
    joined = client.get(event_url.removeprefix(BASE))
    assert joined.status_code == 303, "a session in the feed joins through the feed link"


@pytest.mark.parametrize("kind", ["home", "feed"])
def test_rotating_a_link_revokes_the_old_one_and_emails_the_new(app, auth, client, world, kind):
    contact, _, _, mails = world
    (mail,) = mine(mails, contact)
    old = {"home": home_path(mail), "feed": feed_path(mail)}
    auth.login("admin")
    page = f"/contacts/{contact.id}/links"
    response = auth.post(f"/contacts/{contact.id}/links/rotate", {"kind": kind}, page=page)
    assert response.status_code == 302
    assert NOT_VALID in client.get(old[kind]).get_data(as_text=True)
    assert client.get(old[kind]).status_code == 404
    _, (new,) = deliver(app)
    fresh = {"home": home_path(new), "feed": feed_path(new)}
    assert fresh[kind] != old[kind] and client.get(fresh[kind]).status_code == 200
    other = "feed" if kind == "home" else "home"
    assert fresh[other] == old[other] and client.get(old[other]).status_code == 200, "the other stays"
    assert len(live_links(contact)) == 2


def test_rotating_needs_an_admin_a_known_kind_and_the_csrf_token(app, auth, client, world):
    contact, _, _, _ = world
    url = f"/contacts/{contact.id}/links/rotate"
    auth.login("facilitator")
    assert client.post(url, data={"kind": "home"}).status_code in (400, 403)
    auth.logout()
    auth.login("admin")
    assert client.post(url, data={"kind": "home"}).status_code == 400, "no CSRF token"
    response = auth.post(url, {"kind": "everything"}, page=f"/contacts/{contact.id}/links")
    assert response.status_code == 302
    assert len(live_links(contact)) == 2, "nothing rotated"


def test_an_expired_home_link_offers_a_fresh_one_without_showing_it(app, client, world):
    contact, _, _, mails = world
    (mail,) = mine(mails, contact)
    home, feed = home_path(mail), feed_path(mail)
    assert app.config["HOME_LINK_EXPIRY_DAYS"] == 365
    set_now(app, NOW + timedelta(days=364))
    assert client.get(home).status_code == 200
    set_now(app, NOW + timedelta(days=365))
    offer = client.get(home)
    assert offer.status_code == 410
    html = offer.get_data(as_text=True)
    token = home.removeprefix("/h/")
    for hidden in (contact.email, contact.email.split("@")[0], token, contact.name):
        assert hidden not in html
    assert 'name="csrf_token"' in html and "<form method=\"post\">" in html
    assert client.get(f"{home}/reminders").status_code == 303, "its other pages lead to the offer"
    assert client.get(feed).status_code == 200, "the feed does not expire with the page"

    assert client.post(home, data={}).status_code == 400, "no CSRF token"
    before = len(outbox_rows(kind=MessageKind.HOME_LINK.value))
    answer = post_form(client, home)
    assert answer.status_code == 410, "still a miss for the link rate limit"
    assert "on its way" in answer.get_data(as_text=True)
    assert contact.email not in answer.get_data(as_text=True)
    post_form(client, home)
    queued = outbox_rows(kind=MessageKind.HOME_LINK.value)
    assert len(queued) == before + 1, "asking twice queues one email"
    assert queued[-1].contact_id == contact.id and queued[-1].to_email == contact.email

    _, (fresh,) = deliver(app)
    assert fresh.to == contact.email
    new = home_path(fresh)
    assert new != home and client.get(new).status_code == 200
    assert client.get(home).status_code == 404, "the expired link is replaced"
    assert feed_path(fresh) == feed


def test_feed_links_never_expire(app, client, world):
    contact, _, _, mails = world
    (mail,) = mine(mails, contact)
    set_now(app, NOW + timedelta(days=365 * 5))
    assert client.get(feed_path(mail)).status_code == 200
    assert client.get(home_path(mail)).status_code == 410


def test_an_unknown_link_cannot_ask_for_a_fresh_one(app, client, world):
    from tests.support.invites import UNKNOWN_TOKEN

    page = client.get("/h/" + UNKNOWN_TOKEN)
    assert page.status_code == 404 and "<form" not in page.get_data(as_text=True)
    assert db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == MessageKind.HOME_LINK.value)) is None


def test_links_survive_a_secret_key_rotation_listed_in_the_fallbacks(make_app, make):
    """The kept copy is keyed from SECRET_KEY: with the old key in SECRET_KEY_FALLBACKS the same
    links go out; with it gone they cannot be opened, so the next email replaces them (still one
    live link of each kind)."""
    app = make_app(**invites_config())
    with app.app_context():
        homes = [make.home("Ardenlea House", contacts=1)]
        group = make.group("West of Scotland PSL", homes=homes, joined_on=JOINED)
        contact_id, session_id = homes[0].contacts[0].id, add_session(group).id
        _, (first,) = deliver(app)
    rotated = make_app(**invites_config(SECRET_KEY="n" * 40, SECRET_KEY_FALLBACKS=[TEST_SECRET]))
    with rotated.app_context():
        reschedule(db.session.get(MeetingSession, session_id), starts_at=START + timedelta(hours=1))
        _, (kept,) = deliver(rotated)
        assert (home_path(kept), feed_path(kept)) == (home_path(first), feed_path(first))
    forgotten = make_app(**invites_config(SECRET_KEY="n" * 40))
    with forgotten.app_context():
        reschedule(db.session.get(MeetingSession, session_id), starts_at=START + timedelta(hours=2))
        _, (new,) = deliver(forgotten)
        assert home_path(new) != home_path(first) and feed_path(new) != feed_path(first)
        assert sorted(t.kind for t in live_links(db.session.get(Contact, contact_id))) == ["feed", "home"]
        client = forgotten.test_client()
        assert client.get(home_path(first)).status_code == 404
        assert client.get(home_path(new)).status_code == 200


def test_a_link_from_before_0010_keeps_working_until_a_rotation(app, auth, client, make):
    """Such a link was never kept, so emails bring the new ones; it goes on serving its page and
    (most of all) a calendar subscribed with it until either link is rotated."""
    import hashlib

    from facilitator.clock import now_utc

    homes = [make.home("Ardenlea House", contacts=1)]
    group = make.group("West of Scotland PSL", homes=homes, joined_on=JOINED)
    contact = homes[0].contacts[0]
    old = "a-link-from-before-0010-" + "y" * 30
    db.session.add(ContactToken(token_hash=hashlib.sha256(old.encode()).hexdigest(), contact_id=contact.id,
                                kind="legacy", created_at=now_utc() - timedelta(days=30)))
    db.session.commit()
    assert f"/feeds/{old}.ics" in client.get(f"/h/{old}").get_data(as_text=True), "its own feed link"
    add_session(group)
    _, (mail,) = deliver(app)
    assert old not in mail.text
    assert f"{BASE}{feed_path(mail)}" in client.get(f"/h/{old}").get_data(as_text=True), "then the new one"
    assert sorted(t.kind for t in live_links(contact)) == ["feed", "home", "legacy"]
    for path in (f"/h/{old}", f"/feeds/{old}.ics", home_path(mail), feed_path(mail)):
        assert client.get(path).status_code == 200, path
    auth.login("admin")
    page = f"/contacts/{contact.id}/links"
    assert "Older link" in client.get(page).get_data(as_text=True)
    auth.post(f"/contacts/{contact.id}/links/rotate", {"kind": "home"}, page=page)
    assert client.get(f"/feeds/{old}.ics").status_code == 404
    assert client.get(feed_path(mail)).status_code == 200
    assert sorted(t.kind for t in live_links(contact)) == ["feed", "home"]


def test_the_page_only_reads_and_shows_no_feed_link_before_one_was_sent(app, client, make):
    from facilitator.invites.tokens import mint_contact_token

    contact = make.home("Ardenlea House", contacts=1).contacts[0]
    token = mint_contact_token(contact)
    db.session.commit()
    page = client.get(f"/h/{token}").get_data(as_text=True)
    assert "/feeds/" not in page and "comes with our next email" in page
    assert [t.kind for t in live_links(contact)] == ["home"], "opening the page minted nothing"
