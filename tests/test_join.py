"""One-tap join links (``/j/<token>``) and a contact's page (``/h/<token>``), with a frozen clock."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from facilitator.admin import services as admin
from facilitator.extensions import db
from facilitator.models import ContactToken, InvitationToken, JoinRecord, MeetingSession
from facilitator.user_agents import is_link_scanner, user_agent_family
from integrations.icslint import lint
from tests.support.invites import (
    BASE,
    JOIN_URL,
    JOINED,
    NOW,
    START,
    UNKNOWN_TOKEN,
    WHEN,
    add_session,
    cancel,
    deliver,
    invites_config,
    parsed_event,
    set_now,
)

IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.0 Mobile/15E148 Safari/604.1")
END = START + timedelta(minutes=90)


@pytest.fixture
def app(make_app):
    app = make_app(**invites_config())
    with app.app_context():
        yield app


@pytest.fixture
def setting(app, make):
    """A session next Tuesday, its invites delivered; returns (session, group, homes, mails)."""
    homes = [make.home("Ardenlea House"), make.home("Bellfield Court")]
    group = make.group("West of Scotland PSL", facilitators=[make.user("facilitator")], homes=homes,
                       joined_on=JOINED)
    session = add_session(group, dial_in="+44 131 460 1196", passcode="424242")
    _, mails = deliver(app)
    return session, group, homes, {m.to: m for m in mails}


def link(mails, homes, prefix="/j/") -> str:
    """The path of the first contact's link (``/j/...`` or ``/h/...``)."""
    mail = mails[homes[0].contacts[0].email]
    return mail.links(f"{BASE}{prefix}")[0].removeprefix(BASE)


def joins() -> list[JoinRecord]:
    db.session.rollback()
    return list(db.session.scalars(select(JoinRecord).order_by(JoinRecord.id)))


def get(client, path, **headers):
    return client.get(path, headers={"User-Agent": IPAD, **headers})


# ------------------------------------------------------------------------------ the window


@pytest.mark.parametrize(("offset", "redirects"), [
    (-timedelta(days=1), False),
    (-timedelta(minutes=16), False),
    (-timedelta(minutes=15, seconds=1), False),
    (-timedelta(minutes=15), True),
    (timedelta(0), True),
    (timedelta(minutes=89, seconds=59), True),
    (timedelta(minutes=90), False),
], ids=["day-before", "16-min-before", "just-before-window", "window-opens", "start", "last-second", "end"])
def test_the_link_forwards_only_from_15_minutes_before_until_the_end(app, client, setting, offset, redirects):
    _, _, homes, mails = setting
    set_now(app, START + offset)
    response = get(client, link(mails, homes))
    if redirects:
        assert response.status_code == 303
        assert response.headers["Location"] == JOIN_URL
    else:
        assert response.status_code == 200
        assert "Location" not in response.headers


def test_before_the_window_the_page_says_when_and_how(app, client, setting):
    _, _, homes, mails = setting
    set_now(app, START - timedelta(days=2, hours=3))
    path = link(mails, homes)
    page = get(client, path).get_data(as_text=True)
    assert WHEN in page
    assert "Starts in 2 days" in page
    assert f'href="{path}"' in page and "Join the session" in page
    assert "from <strong>09:45</strong>" in page
    assert f'href="{path}/calendar.ics"' in page and "Add to calendar" in page
    assert "+44 131 460 1196" in page and "424242" in page
    assert JOIN_URL not in page, "the meeting URL is only ever reached through the redirect"


def test_after_the_end_the_page_says_it_has_ended(app, client, setting):
    _, _, homes, mails = setting
    set_now(app, END + timedelta(hours=1))
    page = get(client, link(mails, homes)).get_data(as_text=True)
    assert "This session has ended" in page and "Join the session" not in page


def test_the_add_to_calendar_file_is_a_valid_single_event(app, client, setting):
    session, _, homes, mails = setting
    response = get(client, link(mails, homes) + "/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert lint(response.data, expected_method="PUBLISH") == []
    lib, vob = parsed_event(response.data)
    assert str(lib["UID"]) == session.ical_uid == vob.uid.value
    assert str(lib["LOCATION"]) == BASE + link(mails, homes)


# ------------------------------------------------------------------------- recording joins


def test_a_join_is_recorded_once_per_click(app, client, setting):
    session, _, homes, mails = setting
    set_now(app, START - timedelta(minutes=5))
    path = link(mails, homes)
    assert get(client, path).status_code == 303
    (record,) = joins()
    contact = homes[0].contacts[0]
    assert (record.session_id, record.home_id, record.contact_id) == (session.id, homes[0].id, contact.id)
    assert record.joined_at == START - timedelta(minutes=5)
    assert record.user_agent_family == "Safari on iPad"
    assert record.in_window and record.via == "email"
    get(client, path)
    assert len(joins()) == 2, "a second tap is a second join"


def test_head_requests_and_link_scanners_are_not_joins(app, client, setting):
    _, _, homes, mails = setting
    set_now(app, START - timedelta(minutes=5))
    path = link(mails, homes)
    assert client.head(path, headers={"User-Agent": IPAD}).status_code == 303
    for agent in ("Mozilla/5.0 (compatible; Googlebot/2.1)", "Microsoft Office/16.0 (Windows NT 10.0)",
                  "Mimecast URL Protect", "python-requests/2.31", "", "curl/8.5.0",
                  "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120"):
        assert client.get(path, headers={"User-Agent": agent}).status_code == 303
    assert joins() == []


def test_opening_the_link_early_is_recorded_but_not_as_joining_the_meeting(app, client, setting):
    _, _, homes, mails = setting
    set_now(app, START - timedelta(days=1))
    get(client, link(mails, homes))
    (record,) = joins()
    assert not record.in_window


@pytest.mark.parametrize(("agent", "family"), [
    (IPAD, "Safari on iPad"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
     "Safari/537.36 Edg/120.0", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/121.0", "Firefox on Mac"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
     "Chrome on Android"),
    ("Something else", "Other browser"),
])
def test_user_agent_family_keeps_only_browser_and_device(agent, family):
    assert user_agent_family(agent) == family
    assert not is_link_scanner(agent)


# ---------------------------------------------------------------------- where it can go


def test_never_redirects_anywhere_but_the_stored_join_url(app, client, setting):
    session, _, homes, mails = setting
    set_now(app, START)
    path = link(mails, homes)
    for suffix in ("?next=https://evil.example", "?url=//evil.example", "?redirect=javascript:alert(1)"):
        response = get(client, path + suffix)
        assert response.status_code == 303 and response.headers["Location"] == JOIN_URL
    assert get(client, path + "/..%2F..%2Fevil.example").status_code == 404


@pytest.mark.parametrize("stored", ["javascript:alert(1)", "//evil.example/x", "data:text/html,hi", None,
                                    "https://ok.example/x\r\nSet-Cookie: a=b"])
def test_a_stored_url_that_is_not_plain_http_is_never_followed(app, client, setting, stored):
    session, _, homes, mails = setting
    db.session.get(MeetingSession, session.id).join_url = stored
    db.session.commit()
    set_now(app, START)
    response = get(client, link(mails, homes))
    assert response.status_code == 200
    assert "The meeting link is not ready yet" in response.get_data(as_text=True)
    assert "Location" not in response.headers


# --------------------------------------------------------------- cancelled, expired, unknown


def test_a_cancelled_session_says_so_and_shows_the_next_one(app, client, setting):
    session, group, homes, mails = setting
    nxt = add_session(group, title="The next one", starts_at=START + timedelta(days=14))
    deliver(app)
    cancel(session)
    set_now(app, START)  # even in its window a cancelled session does not forward
    path = link(mails, homes)
    response = get(client, path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This session has been cancelled" in page
    assert "The next one: <strong>Tuesday 18 March, 10:00–11:30 (UK time)</strong>" in page
    assert f'href="{path}/next"' in page
    assert "Starts in 14 days" in get(client, path + "/next").get_data(as_text=True)
    set_now(app, nxt.starts_at)
    assert get(client, path + "/next").headers["Location"] == JOIN_URL


def test_a_cancelled_session_without_a_next_one(app, client, setting):
    session, _, homes, mails = setting
    cancel(session)
    page = get(client, link(mails, homes)).get_data(as_text=True)
    assert "No further session is booked yet" in page
    assert get(client, link(mails, homes) + "/next").status_code == 404


def not_found_body(response) -> str:
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    return response.get_data(as_text=True)


def test_unknown_revoked_and_expired_links_get_the_same_friendly_404(app, client, setting):
    _, _, homes, mails = setting
    path = link(mails, homes)
    unknown = not_found_body(get(client, f"/j/{UNKNOWN_TOKEN}"))
    assert "This link does not work" in unknown
    assert not_found_body(get(client, "/j/short")) == unknown
    set_now(app, END + timedelta(days=13, hours=23))
    assert get(client, path).status_code == 200
    set_now(app, END + timedelta(days=14))
    assert not_found_body(get(client, path)) == unknown, "expired 14 days after the session"
    set_now(app, NOW)
    admin_revoke(homes[0].contacts[0])
    assert not_found_body(get(client, path)) == unknown, "revoked"
    for leak in ("Ardenlea", "West of Scotland", homes[0].contacts[0].name, "10:00"):
        assert leak not in unknown


def admin_revoke(contact) -> None:
    from facilitator.invites.services import revoke_links

    revoke_links(contact)
    db.session.commit()


def test_an_inactive_contact_or_a_home_that_left_has_no_working_link(app, client, setting):
    _, group, homes, mails = setting
    contact = homes[0].contacts[0]
    admin.save_contact(homes[0], admin.ContactData(contact.name, contact.email, contact.role, False), contact)
    db.session.commit()
    assert get(client, link(mails, homes)).status_code == 404
    other = mails[homes[1].contacts[0].email].links(f"{BASE}/j/")[0].removeprefix(BASE)
    assert get(client, other).status_code == 200
    from datetime import date

    admin.end_membership(group, homes[1].id, date(2025, 3, 1))
    db.session.commit()
    assert get(client, other).status_code == 404


def test_in_the_window_a_link_that_no_longer_works_neither_forwards_nor_records(app, client, setting):
    """Each check of the join view (token, contact, invitation, membership), in the window where it
    would otherwise forward."""
    from datetime import date

    from facilitator.models import InviteDelivery

    session, group, homes, mails = setting
    set_now(app, START)
    first = link(mails, homes)
    second = mails[homes[1].contacts[0].email].links(f"{BASE}/j/")[0].removeprefix(BASE)
    delivery = db.session.scalar(select(InviteDelivery).where(
        InviteDelivery.contact_id == homes[1].contacts[0].id))
    delivery.method = "CANCEL"  # the invitation was withdrawn
    db.session.commit()
    assert get(client, second).status_code == 404
    delivery.method = "REQUEST"
    db.session.commit()
    admin.end_membership(group, homes[1].id, date(2025, 3, 1))
    db.session.commit()
    assert get(client, second).status_code == 404
    contact = homes[0].contacts[0]
    admin.save_contact(homes[0], admin.ContactData(contact.name, contact.email, contact.role, False), contact)
    db.session.commit()
    assert get(client, first).status_code == 404
    assert joins() == []


def test_a_join_in_the_window_is_recorded_and_redirected_in_a_few_statements(app, client, setting):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    _, _, homes, mails = setting
    set_now(app, START)
    path = link(mails, homes)
    sent: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        response = get(client, path)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert response.status_code == 303 and response.headers["Location"] == JOIN_URL
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Permissions-Policy", "X-Robots-Tag"):
        assert name in response.headers
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert len(joins()) == 1
    assert sum(s.lstrip().upper().startswith("INSERT") for s in sent) == 1, sent
    assert len(sent) <= 12, f"the join view runs {len(sent)} statements: {sent}"


def test_tokens_are_stored_only_as_sha256(app, setting):
    _, _, homes, mails = setting
    token = link(mails, homes).rsplit("/", 1)[1]
    hashed = hashlib.sha256(token.encode()).hexdigest()
    assert db.session.scalar(select(func.count()).where(InvitationToken.token_hash == hashed)) == 1
    assert db.session.scalar(select(func.count()).where(InvitationToken.token_hash == token)) == 0


def test_token_pages_send_no_referrer_and_are_not_cached(app, client, setting):
    _, _, homes, mails = setting
    for path in (link(mails, homes), link(mails, homes, "/h/")):
        response = get(client, path)
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert "Set-Cookie" not in response.headers, "a shared iPad keeps no cookie from a link"
    set_now(app, START)
    redirect = get(client, link(mails, homes))
    assert redirect.status_code == 303 and redirect.headers["Referrer-Policy"] == "no-referrer"


# ------------------------------------------------------------------------------ home page


def test_the_home_page_lists_sessions_attendance_and_the_feed(app, client, setting):
    session, group, homes, mails = setting
    past = add_session(group, title="Last month", starts_at=START - timedelta(days=28))
    missed = add_session(group, title="Missed one", starts_at=START - timedelta(days=14))
    path = link(mails, homes, "/h/")
    token = path.rsplit("/", 1)[1]
    set_now(app, past.starts_at)
    get(client, f"/h/{token}/sessions/{past.id}")  # joined from this page during the meeting
    set_now(app, NOW)

    page = get(client, path).get_data(as_text=True)
    assert "Ardenlea House" in page and homes[0].contacts[0].name in page
    assert WHEN in page and "Starts in 6 days" in page
    assert f'href="/h/{token}/sessions/{session.id}"' not in page, "no Join button a week ahead"
    assert f'href="/h/{token}/sessions/{session.id}/calendar.ics"' in page
    assert "took part in 1 of 2 sessions" in page
    assert "Joined through the link" in page and "Missed one" in page and "Not recorded" in page
    (feed,) = mails[homes[0].contacts[0].email].links("webcal://psl.example.org/feeds/")
    assert f"{BASE}/feeds/{feed.rsplit('/', 1)[1]}.ics" in page and f"{feed}.ics" in page
    assert token not in feed, "the feed has a link of its own"
    for client_name in ("iPad or iPhone", "Outlook", "Google Calendar"):
        assert f"<h3>{client_name}</h3>" in page
    assert "Changes and cancellations always come by email" in page
    assert page.count("<script") == 1 and '<script src="/static/js/home.js" defer>' in page, (
        "only the refresh, from our own origin: the page works without it")
    assert missed.id


def _cards(page: str) -> list[str]:
    return [card.split("</li>", 1)[0] for card in page.split('<li class="session-card')[1:]]


def test_the_session_in_its_join_window_comes_first_marked_live_with_the_only_primary_button(
        app, client, setting):
    session, group, homes, mails = setting
    later = add_session(group, title="Next week", starts_at=START + timedelta(days=7))
    token = link(mails, homes, "/h/").rsplit("/", 1)[1]
    join_here = f'href="/h/{token}/sessions/{session.id}"'

    set_now(app, START - timedelta(minutes=5))
    page = get(client, f"/h/{token}").get_data(as_text=True)
    live, coming = _cards(page)
    assert "is-live" in live and "Starts in 5 minutes" in live and join_here in live and "Join now" in live
    assert "Next week" in coming and "Starts in 7 days" in coming and "Add to calendar" in coming
    assert f"/sessions/{later.id}\"" not in coming and "Join" not in coming
    primaries = re.findall(r'class="button big"', page)
    assert len(primaries) == 1, "one primary button: the live session's"

    set_now(app, START + timedelta(minutes=20))
    live, _ = _cards(get(client, f"/h/{token}").get_data(as_text=True))
    assert "Live now" in live and join_here in live

    set_now(app, START - timedelta(days=1))
    first, second = _cards(get(client, f"/h/{token}").get_data(as_text=True))
    assert "is-live" not in first + second and "Join" not in first + second


def test_the_join_hint_says_what_happens_the_meeting_replaces_the_page(app, client, setting):
    session, _, homes, mails = setting
    page = get(client, link(mails, homes)).get_data(as_text=True)
    assert "opens in this tab" in page and "new page" not in page
    assert "target=" not in page, "no link opens another tab"
    set_now(app, START - timedelta(minutes=5))
    assert get(client, link(mails, homes)).status_code == 303, "the same tab goes on to the meeting"


def test_the_home_page_names_the_facilitator_and_how_to_reach_them(app, client, setting):
    _, group, homes, mails = setting
    (facilitator,) = group.facilitators
    facilitator.phone = "+44 131 496 0000"
    db.session.commit()
    page = get(client, link(mails, homes, "/h/")).get_data(as_text=True)
    assert "<h2>Your facilitator</h2>" in page
    mailto = f'<a href="mailto:{facilitator.email}">{facilitator.email}</a>'
    tel = '<a href="tel:+441314960000">+44 131 496 0000</a>'
    assert f"<strong>{facilitator.name}</strong>: {mailto}, {tel}" in page


def test_the_home_page_join_button_forwards_in_the_window(app, client, setting):
    session, _, homes, mails = setting
    token = link(mails, homes, "/h/").rsplit("/", 1)[1]
    set_now(app, START - timedelta(minutes=10))
    response = get(client, f"/h/{token}/sessions/{session.id}")
    assert response.status_code == 303 and response.headers["Location"] == JOIN_URL
    (record,) = joins()
    assert record.via == "home" and record.in_window


def test_the_home_page_shows_only_the_homes_own_sessions(app, client, make, setting):
    _, _, homes, mails = setting
    other_group = make.group("Another group", homes=[make.home("Elsewhere")], joined_on=JOINED)
    theirs = add_session(other_group, title="Not for Ardenlea")
    token = link(mails, homes, "/h/").rsplit("/", 1)[1]
    assert "Not for Ardenlea" not in get(client, f"/h/{token}").get_data(as_text=True)
    assert get(client, f"/h/{token}/sessions/{theirs.id}").status_code == 404
    assert get(client, f"/h/{token}/sessions/{theirs.id}/calendar.ics").status_code == 404


def test_the_home_page_link_is_revocable_and_unknown_ones_404(app, client, setting):
    _, _, homes, mails = setting
    path = link(mails, homes, "/h/")
    assert get(client, path).status_code == 200
    assert get(client, f"/h/{UNKNOWN_TOKEN}").status_code == 404
    admin_revoke(homes[0].contacts[0])
    assert get(client, path).status_code == 404
    assert get(client, path + "/reminders").status_code == 404
    db.session.rollback()
    assert all(t.revoked_at is not None for t in db.session.scalars(select(ContactToken)
                                                                    .where(ContactToken.contact_id ==
                                                                           homes[0].contacts[0].id)))


def test_the_home_page_shows_the_register_where_one_was_taken(app, client, setting):
    from facilitator.models import AttendanceEntry

    _, group, homes, mails = setting
    late = add_session(group, title="Came late", starts_at=START - timedelta(days=28))
    away = add_session(group, title="Stayed away", starts_at=START - timedelta(days=21))
    joined = add_session(group, title="Joined only", starts_at=START - timedelta(days=14))
    db.session.add_all([AttendanceEntry(session_id=late.id, home_id=homes[0].id, status="late"),
                        AttendanceEntry(session_id=away.id, home_id=homes[0].id, status="absent"),
                        AttendanceEntry(session_id=joined.id, home_id=homes[1].id, status="present")])
    db.session.commit()
    token = link(mails, homes, "/h/").rsplit("/", 1)[1]
    set_now(app, joined.starts_at)
    get(client, f"/h/{token}/sessions/{joined.id}")
    set_now(app, NOW)
    page = get(client, f"/h/{token}").get_data(as_text=True)
    assert "took part in 2 of 3 sessions" in page
    for shown in ("<td>Late</td>", "<td>Absent</td>", "<td>Joined through the link</td>"):
        assert shown in page
    assert "Present" not in page, "another home's register is not shown"
