"""The account page: change password, sign out everywhere, sessions; admin deactivation and history."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from facilitator.admin import services as admin_services
from facilitator.auth import passwords
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models import ApiToken, LoginAttempt, UserSession
from tests.support.factories import PASSWORD, Auth, csrf_token

NEW_PASSWORD = "lighthouse kettle orchard"  # noqa: S105 - a test value


def post_form(client: Any, url: str, data: dict[str, str], page: str | None = None) -> Any:
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)})


def change(client: Any, current: str, new: str, again: str | None = None) -> Any:
    return post_form(client, "/account/password", {"current_password": current, "password": new,
                                                   "password_again": new if again is None else again})


def sessions_of(user: Any) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


# ------------------------------------------------------------------------------ password rules


def test_the_common_password_list_has_ten_thousand_entries_most_common_first():
    common = passwords.common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty123456", "#1bitch"} <= common
    header = passwords.COMMON_PASSWORDS_FILE.read_text().split("\n\n")[0]
    assert "Provenance" in header and "Django" in header


@pytest.mark.parametrize("password, problem", [
    ("x" * 11, "at least 12"),
    ("x" * 257, "at most 256"),
    ("1q2w3e4r5t6y", "most common"),
    ("  QWERTY123456 ", "most common"),
    ("correct horse battery staple", None),
    ("aaaaaaaaaaaa", None),  # NCSC: length, not composition; not on the list
])
def test_password_rules(password, problem):
    found = passwords.password_problem(password)
    assert (found is None) if problem is None else (problem in found)


def test_admin_set_passwords_follow_the_same_rules(app, make):
    from facilitator.errors import DomainError

    user = make.user("lead")
    with pytest.raises(DomainError):
        admin_services.set_password(user, "password1234")


# ------------------------------------------------------------------------------ change password


def test_change_password_with_the_current_one(auth, client, app, make):
    user = make.user("facilitator")
    elsewhere = app.test_client()
    Auth(elsewhere, make).login(user)
    auth.login(user)
    old_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    response = change(client, PASSWORD, NEW_PASSWORD)
    assert response.headers["Location"] == "/account"
    assert client.get("/account").status_code == 200  # this browser stays signed in, with a new session
    assert elsewhere.get("/").status_code == 302  # every other session ended
    assert len(sessions_of(user)) == 1
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], old_cookie)
    assert thief.get("/").status_code == 302  # the old session id is dead too
    Auth(app.test_client(), make).login(user, password=NEW_PASSWORD)


@pytest.mark.parametrize("current, new, again, field, message", [
    ("wrong password here", NEW_PASSWORD, None, "current_password", "not your current password"),
    ("", NEW_PASSWORD, None, "current_password", "Enter your current password"),
    (PASSWORD, "too short", None, "password", "at least 12 characters"),
    (PASSWORD, "password1234", None, "password", "most common passwords"),
    (PASSWORD, PASSWORD, None, "password", "not been using"),
    (PASSWORD, NEW_PASSWORD, "different words here", "password_again", "not the same"),
])
def test_change_password_messages_next_to_fields(auth, client, current, new, again, field, message):
    user = auth.login("lead")
    before = user.password_hash
    response = change(client, current, new, again)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error">' in html and message in html
    db.session.refresh(user)
    assert user.password_hash == before
    assert client.get("/").status_code == 200


def test_change_password_needs_csrf(auth, client):
    auth.login("lead")
    response = client.post("/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                      "password_again": NEW_PASSWORD})
    assert response.status_code == 400


def test_an_sso_only_account_has_no_password_to_change(app, client, make):
    from facilitator.auth.services import start_session

    user = admin_services.create_user("sso.only@example.org", "SSO Only", "lead")
    db.session.commit()
    sid = start_session(user, None, None)
    db.session.commit()
    with client.session_transaction() as session:
        session["sid"] = sid
    assert client.get("/account/password").headers["Location"] == "/account"
    assert "no password here" in client.get("/account").get_data(as_text=True)


# ------------------------------------------------------------------------------ sign out everywhere


def test_sign_out_everywhere_ends_every_session(auth, client, app, make):
    user = make.user("supervisor")
    others = [app.test_client() for _ in range(2)]
    for other in others:
        Auth(other, make).login(user)
    auth.login(user)
    page = client.get("/account").get_data(as_text=True)
    assert "this browser" in page and page.count("<tr>") >= 4
    response = post_form(client, "/account/sign-out-everywhere", {"sign_out": "yes"},
                         page="/account")
    assert response.headers["Location"] == "/login"
    assert sessions_of(user) == []
    for browser in [client, *others]:
        assert browser.get("/").status_code == 302


def test_sign_out_everywhere_needs_the_button_and_csrf(auth, client):
    user = auth.login("lead")
    assert client.post("/account/sign-out-everywhere", data={"sign_out": "1"}).status_code == 400
    post_form(client, "/account/sign-out-everywhere", {}, page="/account")
    assert len(sessions_of(user)) == 1


def test_account_page_shows_recent_sign_ins(auth, client, make):
    user = make.user("lead")
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", headers={"User-Agent": "Mozilla/5.0 (iPad) TestBrowser"},
                data={"email": user.email, "password": "not it at all", "csrf_token": csrf_token(html)})
    auth.login(user)
    page = client.get("/account").get_data(as_text=True)
    assert "Refused" in page and "Accepted" in page and "TestBrowser" in page


def test_attempts_record_the_method_and_user_agent(client, make):
    user = make.user("lead")
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(html)},
                headers={"User-Agent": "Agent/1.0"})
    attempt = db.session.scalar(select(LoginAttempt))
    assert (attempt.method, attempt.user_agent, attempt.succeeded) == ("password", "Agent/1.0", True)


# ------------------------------------------------------------------------------ admin


def test_deactivation_stops_sessions_and_api_tokens_at_once(auth, client, app, make):
    user = make.user("facilitator")
    theirs = app.test_client()
    Auth(theirs, make).login(user)
    token = issue_api_token(user)
    db.session.commit()
    api = app.test_client()
    assert api.get("/api/v1/homes", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert theirs.get("/").status_code == 200
    auth.login("admin")
    response = post_form(client, f"/users/{user.id}", {"name": user.name, "email": user.email,
                                                       "role": "facilitator", "supervisor_id": ""})
    assert response.status_code == 302  # "Active" left unticked
    assert theirs.get("/").status_code == 302
    assert api.get("/api/v1/homes", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert sessions_of(user) == []
    assert db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id)).revoked_at is not None
    refused = Auth(app.test_client(), make).post("/login", {"email": user.email, "password": PASSWORD})
    assert "do not match an active account" in refused.get_data(as_text=True)


def test_admin_sees_sign_in_history_and_open_sessions(auth, client, app, make):
    user = make.user("facilitator")
    other = app.test_client()
    html = other.get("/login").get_data(as_text=True)
    other.post("/login", headers={"User-Agent": "FailingAgent/2"},
               data={"email": user.email, "password": "wrong guess here", "csrf_token": csrf_token(html)})
    Auth(other, make).login(user)
    auth.login("admin")
    assert "Sign-in history" in client.get(f"/users/{user.id}").get_data(as_text=True)
    page = client.get(f"/users/{user.id}/sign-ins").get_data(as_text=True)
    assert page.count("Refused") == 1 and page.count("Accepted") == 1
    assert "FailingAgent/2" in page
    assert "Not signed in anywhere" not in page


def test_only_admins_see_sign_in_history(auth, client, make):
    user = make.user("facilitator")
    auth.login("lead")
    assert client.get(f"/users/{user.id}/sign-ins").status_code == 403
    assert client.get("/users/999999/sign-ins").status_code == 403


def test_sign_in_history_of_a_missing_user_is_404(auth, client):
    auth.login("admin")
    assert client.get("/users/999999/sign-ins").status_code == 404
