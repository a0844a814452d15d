""""Test this iPad" (issue 17): the browser family table, the button on the home's page leading to
its group's provider's own test meeting, the test recorded through the link, and the readiness
item "device tested" ticking itself from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from facilitator.extensions import db
from facilitator.invites.tokens import current_contact_token
from facilitator.models import DeviceTest, LinkKind, MeetingSession
from facilitator.user_agents import browser_family, device_family
from tests.support.factories import csrf_token

IPAD = ("Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.2 Mobile/15E148 Safari/604.1")


@pytest.mark.parametrize(("agent", "browser", "device"), [
    (IPAD, "Safari", "iPad"),
    ("Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0 "
     "Mobile/15E148 Safari/604.1", "Chrome", "iPad"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
     "Safari/537.36 Edg/120.0", "Edge", "Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) Gecko/20100101 Firefox/121.0", "Firefox", "Mac"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 FxiOS/121.0 "
     "Mobile/15E148 Safari/605.1.15", "Firefox", "iPhone"),
    ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/23.0 Chrome/115.0 Safari/537.36", "Samsung Internet", "Android"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36",
     "Chrome", "Android"),
    ("Something else", "Other browser", ""),
    ("", "Other browser", ""),
])
def test_browser_family_table(agent, browser, device):
    assert (browser_family(agent), device_family(agent)) == (browser, device)


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW="2026-03-10T12:00:00+00:00", MAIL_BACKEND="memory")
    with app.app_context():
        yield app


@pytest.fixture
def world(make):
    facilitator = make.user("facilitator")
    home, other = make.home("Ardenlea House"), make.home("Bellfield Court")
    group = make.group("West PSL", facilitators=[facilitator], homes=[home], provider="zoom")
    make.group("By link", homes=[other], provider="link")
    return facilitator, group, home, other


def page_of(client, contact) -> tuple[str, str]:
    token = current_contact_token(contact, LinkKind.HOME)
    db.session.commit()
    return f"/h/{token}", client.get(f"/h/{token}").get_data(as_text=True)


def test_the_home_tests_its_ipad_through_its_link_and_readiness_ticks(client, api, world):
    facilitator, group, home, _other = world
    url, page = page_of(client, home.contacts[0])
    assert "Test this iPad" in page and 'target="_blank"' in page
    answer = client.get(url)
    assert "form-action 'self' https://zoom.us;" in answer.headers["Content-Security-Policy"]
    assert client.post(f"{url}/device-test", data={"provider": "zoom"}).status_code == 400  # no CSRF
    assert db.session.scalars(select(DeviceTest)).all() == []
    response = client.post(f"{url}/device-test", data={"provider": "zoom", "csrf_token": csrf_token(page)},
                           headers={"User-Agent": IPAD})
    assert response.status_code == 303 and response.headers["Location"] == "https://zoom.us/test"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    (test,) = db.session.scalars(select(DeviceTest)).all()
    assert (test.home_id, test.contact_id, test.provider, test.browser_family, test.device) == (
        home.id, home.contacts[0].id, "zoom", "Safari", "iPad")
    assert "Last tested on 10 March 2026 with Safari on iPad" in client.get(url).get_data(as_text=True)
    api.as_user(facilitator)
    homes = api.get(f"/api/v1/groups/{group.id}/readiness").get_json()["homes"]
    assert homes[0]["items"]["device_tested"] == {"done": True, "on": "2026-03-10",
                                                  "detail": "Safari on iPad"}


def test_a_provider_the_home_does_not_use_or_without_a_test_meeting_offers_nothing(client, world):
    _facilitator, _group, home, other = world
    url, page = page_of(client, home.contacts[0])
    token = csrf_token(page)
    teams = client.post(f"{url}/device-test", data={"provider": "teams", "csrf_token": token})
    assert teams.status_code == 404
    assert client.post(f"{url}/device-test", data={"csrf_token": token}).status_code == 404
    other_url, other_page = page_of(client, other.contacts[0])
    assert "Test this iPad" not in other_page  # its group meets by a pasted link: no test meeting
    assert "form-action 'self';" in client.get(other_url).headers["Content-Security-Policy"]
    assert client.post(f"{other_url}/device-test", data={"provider": "zoom", "csrf_token": token}
                       ).status_code == 404, "another home's group's provider"
    assert db.session.scalars(select(DeviceTest)).all() == []


def test_the_latest_test_is_the_one_readiness_shows(client, api, world, app):
    facilitator, group, home, _other = world
    url, page = page_of(client, home.contacts[0])
    data = {"provider": "zoom", "csrf_token": csrf_token(page)}
    client.post(f"{url}/device-test", data=data, headers={"User-Agent": IPAD})
    app.config["FROZEN_NOW"] = "2026-03-12T09:00:00+00:00"
    client.post(f"{url}/device-test", data=data, headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) "
                                                          "SamsungBrowser/23.0 Chrome/115.0 Safari/537.36"})
    api.as_user(facilitator)
    item = api.get(f"/api/v1/groups/{group.id}/readiness").get_json()["homes"][0]["items"]["device_tested"]
    assert item == {"done": True, "on": date(2026, 3, 12).isoformat(),
                    "detail": "Samsung Internet on Android"}


TEAMS_JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_next%40thread.v2/0"


def teams_session(group, starts_at: datetime, join_url: str | None = TEAMS_JOIN,
                  status: str = "scheduled") -> MeetingSession:
    session = MeetingSession(group=group, title="PSL session", starts_at=starts_at,
                             ends_at=starts_at + timedelta(minutes=60), timezone="Europe/London",
                             provider="teams", provider_meeting_id=f"m-{starts_at:%d%H}", join_url=join_url,
                             status=status, sync_state="synced", sync_action="none")
    db.session.add(session)
    db.session.commit()
    return session


@pytest.fixture
def teams_home(make):
    home = make.home("Craigowan Lodge")
    group = make.group("East PSL", facilitators=[make.user("facilitator")], homes=[home], provider="teams")
    return group, home


def test_a_teams_home_tests_in_its_next_sessions_pre_join_screen(client, api, teams_home):
    group, home = teams_home
    teams_session(group, datetime(2026, 3, 9, 10, tzinfo=UTC), join_url="https://teams.microsoft.com/l/past")
    teams_session(group, datetime(2026, 3, 11, 10, tzinfo=UTC), join_url="javascript:alert(1)")
    teams_session(group, datetime(2026, 3, 12, 10, tzinfo=UTC), status="cancelled",
                  join_url="https://teams.microsoft.com/l/cancelled")
    teams_session(group, datetime(2026, 3, 17, 10, tzinfo=UTC))
    url, page = page_of(client, home.contacts[0])
    assert f'action="{url}/device-test"' in page and 'value="teams"' in page
    assert ("Opens the next session&#39;s Teams screen, where you can check your camera, microphone and "
            "sound. You won&#39;t join until you press Join now.") in page
    policy = client.get(url).headers["Content-Security-Policy"]
    assert "form-action 'self' https://teams.microsoft.com;" in policy
    response = client.post(f"{url}/device-test", data={"provider": "teams", "csrf_token": csrf_token(page)},
                           headers={"User-Agent": IPAD})
    assert response.status_code == 303 and response.headers["Location"] == TEAMS_JOIN
    (test,) = db.session.scalars(select(DeviceTest)).all()
    assert (test.home_id, test.provider, test.browser_family, test.device) == (
        home.id, "teams", "Safari", "iPad")
    api.as_user(group.facilitators[0])
    item = api.get(f"/api/v1/groups/{group.id}/readiness").get_json()["homes"][0]["items"]["device_tested"]
    assert item == {"done": True, "on": "2026-03-10", "detail": "Safari on iPad"}


def test_a_teams_home_without_a_booked_session_is_told_the_test_waits_for_one(client, teams_home):
    group, home = teams_home
    later = teams_session(group, datetime(2026, 3, 20, 10, tzinfo=UTC), join_url=None)  # not synced yet
    url, page = page_of(client, home.contacts[0])
    assert "device-test" in page and f'action="{url}/device-test"' not in page
    assert "The Microsoft Teams test will be available here once a session is booked." in page
    assert "form-action 'self';" in client.get(url).headers["Content-Security-Policy"]
    form = client.get(f"{url}/sessions/{later.id}/apology").get_data(as_text=True)  # a page with a form
    answer = client.post(f"{url}/device-test", data={"provider": "teams", "csrf_token": csrf_token(form)})
    assert answer.status_code == 404
    assert db.session.scalars(select(DeviceTest)).all() == []
