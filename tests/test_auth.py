"""Sign-in, server-side sessions, the database throttle, CSRF and cookie flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from facilitator.admin import services
from facilitator.extensions import db
from facilitator.models import LoginAttempt, UserSession
from tests.support.factories import PASSWORD, Auth, csrf_token


def session_sid(app, client) -> str | None:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return None
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie.value).get("sid")


def try_login(auth: Auth, email: str, password: str, **headers):
    html = auth.client.get("/login").get_data(as_text=True)
    return auth.client.post("/login", headers=headers,
                            data={"email": email, "password": password, "csrf_token": csrf_token(html)})


def test_sign_in_creates_a_server_side_session(auth, app, client):
    user = auth.login("lead")
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(rows) == 1
    assert session_sid(app, client) not in (None, rows[0].token_hash)  # only the hash is stored


def test_session_id_rotates_at_each_sign_in(auth, app, client, make):
    user = make.user("lead")
    auth.login(user)
    first = session_sid(app, client)
    auth.login(user)
    assert session_sid(app, client) != first


def test_a_copied_cookie_stops_working_after_sign_out(auth, app, client):
    auth.login("facilitator")
    name = app.config["SESSION_COOKIE_NAME"]
    stolen = client.get_cookie(name).value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie(name, stolen)
    response = thief.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_deactivation_ends_the_session_on_the_server(auth, app, client, make):
    user = auth.login("facilitator")
    assert client.get("/").status_code == 200
    services.update_user(user, is_active=False)
    db.session.commit()
    assert client.get("/").status_code == 302
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id)) is None


def test_idle_session_expires(auth, app, client):
    user = auth.login("lead")
    idle = timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    for row in db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)):
        row.last_seen_at -= idle
        row.created_at -= idle
    db.session.commit()
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_clear_message(auth, make):
    user = make.user("lead")
    response = try_login(auth, user.email, "not the password at all")
    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)


def test_five_failures_lock_the_account_even_with_the_right_password(auth, make):
    user = make.user("admin")
    for n in range(5):
        try_login(auth, user.email, f"wrong guess {n}", **{"X-Forwarded-For": f"10.0.0.{n}"})
    response = try_login(auth, user.email, PASSWORD, **{"X-Forwarded-For": "10.9.9.9"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "try again in 15 minutes" in text


def test_unknown_accounts_get_the_same_answer(auth):
    answers = set()
    for n in range(6):
        response = try_login(auth, "nobody@example.org", f"guess {n}")
        answers.add("try again in" in response.get_data(as_text=True))
    assert answers == {False, True}
    response = try_login(auth, "nobody@example.org", "guess again")
    assert "Please try again in 15 minutes" in response.get_data(as_text=True)


def test_throttle_holds_across_app_processes(make_app, app, make):
    user = make.user("lead")
    other_app = make_app()
    for n in range(5):
        target = app if n % 2 else other_app
        try_login(Auth(target.test_client(), make), user.email, f"wrong {n}")
    response = try_login(Auth(app.test_client(), make), user.email, PASSWORD)
    assert "try again in" in response.get_data(as_text=True)
    assert db.session.scalar(select(LoginAttempt).where(LoginAttempt.succeeded)) is None


def test_old_failures_fall_out_of_the_window(auth, make):
    user = make.user("lead")
    for n in range(5):
        try_login(auth, user.email, f"wrong {n}")
    for row in db.session.scalars(select(LoginAttempt)):
        row.created_at -= timedelta(minutes=16)
    db.session.commit()
    assert try_login(auth, user.email, PASSWORD).status_code == 302


def test_login_without_csrf_token_is_refused(client, make):
    user = make.user("lead")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert db.session.scalar(select(UserSession)) is None


def test_admin_form_without_csrf_token_is_refused_and_writes_nothing(auth, client):
    auth.login("admin")
    response = client.post("/homes/new", data={"name": "Sneaky Home"})
    assert response.status_code == 400
    from facilitator.models import CareHome

    assert db.session.scalar(select(CareHome)) is None


def test_sign_out_needs_csrf_token(auth, client):
    auth.login("lead")
    client.post("/logout")
    assert client.get("/").status_code == 200


def test_next_parameter_never_leaves_the_site(auth, make, client):
    user = make.user("lead")
    html = client.get("/login?next=https://evil.example/x").get_data(as_text=True)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "next": "https://evil.example/x",
                                           "csrf_token": csrf_token(html)})
    assert response.headers["Location"] == "/"


def test_next_parameter_returns_to_the_page_asked_for(auth, make, client):
    user = make.user("lead")
    assert client.get("/homes").headers["Location"] == "/login?next=/homes"
    html = client.get("/login?next=/homes").get_data(as_text=True)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": "/homes",
                                           "csrf_token": csrf_token(html)})
    assert response.headers["Location"] == "/homes"


def test_cookie_flags_over_https(make_app):
    app = make_app(PUBLIC_BASE_URL="https://facilitator.example.scot")
    with app.app_context():
        client = app.test_client()
        response = client.get("/login", base_url="https://facilitator.example.scot")
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-facilitator=")
        for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
            assert flag in cookie
        assert "Expires" not in cookie and "Max-Age" not in cookie and "Domain" not in cookie
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_cookie_flags_over_plain_http(client):
    cookie = client.get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie and "Expires" not in cookie


@pytest.mark.fresh_app
def test_error_pages_use_the_layout_and_never_show_a_traceback(make_app):
    app = make_app()

    def boom():
        raise RuntimeError("internal detail that must not leak")

    from facilitator.access import PUBLIC, allow

    app.add_url_rule("/boom", "boom", allow(PUBLIC)(boom))
    client = app.test_client()
    with app.app_context():
        missing = client.get("/no-such-page")
        assert missing.status_code == 404
        assert 'class="site-header"' in missing.get_data(as_text=True)
        crashed = client.get("/boom")
        text = crashed.get_data(as_text=True)
        assert crashed.status_code == 500
        assert "Traceback" not in text and "internal detail" not in text
        assert 'class="site-header"' in text


def test_forbidden_page_uses_the_layout(auth, client):
    auth.login("supervisor")
    response = client.get("/homes")
    assert response.status_code == 403
    assert "You do not have access" in response.get_data(as_text=True)


def test_security_headers_on_every_page(client):
    headers = client.get("/login").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
