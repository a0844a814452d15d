"""Two-step sign-in: TOTP set-up and sign-in, single use of codes, recovery codes, required roles."""

from __future__ import annotations

import base64
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm.attributes import set_committed_value

from facilitator.auth import flow, mfa, totp
from facilitator.clock import now_utc as utcnow
from facilitator.extensions import db
from facilitator.models import LoginAttempt, User, UserSession
from facilitator.models.users import RecoveryCode
from tests.support.factories import PASSWORD, Auth, Factory, csrf_token
from tests.support.mfa import current_code, enrol_directly

# ------------------------------------------------------------------------------ helpers


def post_form(client: Any, url: str, data: dict[str, str], page: str | None = None) -> Any:
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)})


def password_step(client: Any, user: User, password: str = PASSWORD) -> Any:
    return post_form(client, "/login", {"email": user.email, "password": password})


def sign_in_with_code(client: Any, user: User, code: str) -> Any:
    response = password_step(client, user)
    assert response.headers["Location"] == "/login/two-factor"
    return post_form(client, "/login/two-factor", {"code": code})


def sessions_of(user: User) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def setup_secret(html: str) -> bytes:
    """The key the set-up page shows, read the way a person types it."""
    key = re.search(r'id="setup-key"><code>([A-Z2-7 ]+)</code>', html).group(1).replace(" ", "")
    return base64.b32decode(key + "=" * (-len(key) % 8))


@pytest.fixture
def mfa_app(make_app: Any) -> Any:
    app = make_app(MFA_REQUIRED_ROLES="admin,lead,facilitator,supervisor")
    with app.app_context():
        yield app


@pytest.fixture
def mfa_client(mfa_app: Any) -> Any:
    return mfa_app.test_client()


@pytest.fixture
def mfa_make(mfa_app: Any) -> Factory:
    return Factory(mfa_app)


# ------------------------------------------------------------------------------ TOTP itself


def test_rfc6238_test_vector():
    secret = b"12345678901234567890"
    assert totp.code_at(secret, 59 // 30) == "287082"  # RFC 6238 appendix B, 8 digits 94287082
    assert totp.code_at(secret, 1111111109 // 30) == "081804"


def test_codes_from_the_step_before_and_after_are_accepted_but_not_further():
    secret, now = totp.new_secret(), 1_700_000_000.0
    step = totp.time_step(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_at(secret, step + offset), now) == step + offset
    for offset in (-3, -2, 2, 3):
        assert totp.matching_step(secret, totp.code_at(secret, step + offset), now) is None


def test_a_step_already_used_or_older_is_refused():
    secret, now = totp.new_secret(), 1_700_000_000.0
    step = totp.time_step(now)
    code = totp.code_at(secret, step)
    assert totp.matching_step(secret, code, now, after=step - 1) == step
    assert totp.matching_step(secret, code, now, after=step) is None
    assert totp.matching_step(secret, totp.code_at(secret, step - 1), now, after=step) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12345a", "１２３４５６", "١٢٣٤٥٦"])
def test_malformed_codes_never_match(code):
    assert totp.matching_step(totp.new_secret(), code, time.time()) is None


def test_spaces_and_dashes_are_ignored():
    secret = totp.new_secret()
    code = current_code(secret)
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", time.time()) is not None
    assert totp.matching_step(secret, f"{code[:3]}-{code[3:]}", time.time()) is not None


def test_the_provisioning_uri_is_what_authenticator_apps_read():
    secret = bytes(range(20))
    uri = totp.provisioning_uri(secret, "ann@example.org", "Facilitator")
    assert uri.startswith("otpauth://totp/Facilitator:ann@example.org?secret=")
    assert f"secret={totp.base32_key(secret)}&issuer=Facilitator" in uri
    assert "digits=6" in uri and "period=30" in uri


# ------------------------------------------------------------------------------ set-up


def test_set_up_with_the_key_shown_then_recovery_codes_shown_once(auth, client, app):
    user = auth.login("facilitator")
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert "otpauth://totp/" in html
    secret = setup_secret(html)
    response = post_form(client, "/account/two-factor", {"code": current_code(secret)})
    assert response.headers["Location"] == "/account/two-factor/recovery-codes"
    page = client.get("/account/two-factor/recovery-codes")
    codes = re.findall(r"<code>([a-z2-9]{4}(?:-[a-z2-9]{4}){3})</code>", page.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert page.headers["Cache-Control"] == "no-store"
    again = client.get("/account/two-factor/recovery-codes").get_data(as_text=True)
    assert not any(code in again for code in codes)
    assert "10 unused recovery codes" in again
    db.session.refresh(user)
    assert user.has_mfa
    [row] = sessions_of(user)
    assert row.mfa_method == "totp"  # the session that proved the code counts as two-step


def test_the_secret_is_encrypted_at_rest_and_codes_are_hashed(auth, client):
    user = auth.login("facilitator")
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = setup_secret(html)
    post_form(client, "/account/two-factor", {"code": current_code(secret)})
    codes = re.findall(
        r"<code>([a-z0-9-]{19})</code>",
        client.get("/account/two-factor/recovery-codes").get_data(as_text=True),
    )
    db.session.refresh(user)
    assert totp.base32_key(secret) not in user.totp_secret_encrypted
    assert mfa.secret_of(user) == secret
    stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert len(stored) == 10 and not stored & set(codes)
    assert {mfa.recovery_hash(c) for c in codes} == stored


def test_the_setup_key_is_not_readable_in_the_session_cookie(auth, app, client):
    auth.login("facilitator")
    html = client.get("/account/two-factor").get_data(as_text=True)
    secret = setup_secret(html)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert totp.base32_key(secret) not in str(data)


def test_a_wrong_code_at_set_up_is_explained_next_to_the_field(auth, client):
    user = auth.login("facilitator")
    client.get("/account/two-factor")
    response = post_form(client, "/account/two-factor", {"code": "000000"})
    assert response.status_code == 422
    assert 'class="field-error" id="code-error"' in response.get_data(as_text=True)
    db.session.refresh(user)
    assert not user.has_mfa


@pytest.mark.parametrize("code, message", [("", "Enter the 6-digit code"), ("12ab56", "Enter the 6 digits")])
def test_set_up_code_validation_messages(auth, client, code, message):
    auth.login("facilitator")
    response = post_form(client, "/account/two-factor", {"code": code})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_set_up_ends_every_other_session(auth, app, client, make):
    user = make.user("facilitator")
    other = app.test_client()
    Auth(other, make).login(user)
    auth.login(user)
    secret = setup_secret(client.get("/account/two-factor").get_data(as_text=True))
    post_form(client, "/account/two-factor", {"code": current_code(secret)})
    assert other.get("/").status_code == 302
    assert client.get("/").status_code == 200


def test_moving_to_a_new_app_needs_the_password_and_the_new_code(auth, client):
    user = auth.login("facilitator")
    old = enrol_directly(user)
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert "Current password" in html
    new = setup_secret(html)
    assert new != old
    refused = post_form(
        client, "/account/two-factor", {"code": current_code(new), "current_password": "nope"}
    )
    assert refused.status_code == 422 and "not your current password" in refused.get_data(as_text=True)
    post_form(client, "/account/two-factor", {"code": current_code(new), "current_password": PASSWORD})
    db.session.refresh(user)
    assert mfa.secret_of(user) == new


def test_qr_code_is_drawn_here_as_svg(auth, client):
    pytest.importorskip("segno")
    auth.login("facilitator")
    html = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in html
    assert "http" not in re.search(r'<img class="qr" src="([^"]+)"', html).group(1)[:30]


# ------------------------------------------------------------------------------ signing in


def test_sign_in_needs_the_code_after_the_password(auth, client, make):
    user = make.user("lead")
    secret = enrol_directly(user)
    response = password_step(client, user)
    assert response.headers["Location"] == "/login/two-factor"
    assert sessions_of(user) == []
    assert client.get("/").headers["Location"].startswith("/login")  # nothing reachable yet
    response = post_form(client, "/login/two-factor", {"code": current_code(secret, 1)})
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    methods = [a.method for a in db.session.scalars(select(LoginAttempt).order_by(LoginAttempt.id))]
    assert methods == ["password", "totp"]


def test_next_survives_the_code_step(client, make):
    user = make.user("lead")
    secret = enrol_directly(user)
    post_form(
        client,
        "/login",
        {"email": user.email, "password": PASSWORD, "next": "/homes"},
        page="/login?next=/homes",
    )
    response = post_form(client, "/login/two-factor", {"code": current_code(secret, 1)})
    assert response.headers["Location"] == "/homes"


def test_a_code_cannot_be_used_twice(app, make):
    user = make.user("lead")
    secret = enrol_directly(user)
    code = current_code(secret, 1)
    first, second = app.test_client(), app.test_client()
    assert sign_in_with_code(first, user, code).headers["Location"] == "/"
    replay = sign_in_with_code(second, user, code)
    assert replay.status_code == 422
    assert "already been used" in replay.get_data(as_text=True)
    assert len(sessions_of(user)) == 1


def test_the_code_used_at_set_up_cannot_sign_in(client, make):
    user = make.user("lead")
    secret = totp.new_secret()
    code = current_code(secret)
    mfa.enable_totp(user, secret, code)
    db.session.commit()
    assert sign_in_with_code(client, user, code).status_code == 422


def test_a_code_cannot_be_used_twice_across_processes(make_app, app, make):
    """Two app instances holding the same stale user row: the conditional UPDATE lets one win."""
    user = make.user("lead")
    secret = enrol_directly(user)
    code = current_code(secret, 1)
    other = make_app(MFA_REQUIRED_ROLES="")
    with other.app_context():
        stale = db.session.get(User, user.id)
        assert mfa.accept_totp(stale, code, utcnow())
        db.session.commit()
    fresh = db.session.get(User, user.id)
    set_committed_value(fresh, "totp_last_step", None)  # as if read before the other process wrote
    assert not mfa.accept_totp(fresh, code, utcnow())


def test_wrong_codes_count_towards_the_lockout(client, make):
    user = make.user("lead")
    secret = enrol_directly(user)
    password_step(client, user)
    for _ in range(4):
        assert post_form(client, "/login/two-factor", {"code": "000000"}).status_code == 422
    password_step(client, user)  # the password is right, the fifth failure is another code
    post_form(client, "/login/two-factor", {"code": "111111"})
    locked = post_form(client, "/login/two-factor", {"code": current_code(secret, 1)})
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert sessions_of(user) == []


@pytest.mark.parametrize("digits", ["１２３４５６", "١٢٣٤٥٦", "۱۲۳۴۵۶"])
def test_codes_in_other_digit_scripts_are_refused_and_counted(client, make, digits):
    user = make.user("lead")
    enrol_directly(user)
    password_step(client, user)
    refused = post_form(client, "/login/two-factor", {"code": digits})
    assert refused.status_code == 422
    assert mfa.WRONG_CODE in refused.get_data(as_text=True)
    failed = db.session.scalars(select(LoginAttempt).where(LoginAttempt.succeeded.is_(False))).all()
    assert len(failed) == 1
    assert sessions_of(user) == []


def test_the_code_step_expires(client, make, monkeypatch):
    user = make.user("lead")
    secret = enrol_directly(user)
    password_step(client, user)
    real = time.time
    monkeypatch.setattr(flow.time, "time", lambda: real() + flow.PENDING_SECONDS + 1)
    response = post_form(client, "/login/two-factor", {"code": current_code(secret, 1)}, page="/login")
    assert response.headers["Location"] == "/login"
    assert sessions_of(user) == []


def test_the_code_page_without_a_password_first_goes_to_sign_in(client):
    assert client.get("/login/two-factor").headers["Location"] == "/login"


def test_a_recovery_code_works_once(auth, client, app, make):
    user = make.user("lead")
    enrol_directly(user)
    codes = mfa.new_recovery_codes(user)
    db.session.commit()
    response = sign_in_with_code(client, user, codes[3].upper().replace("-", " "))
    assert response.headers["Location"] == "/"
    assert "9 left" in client.get("/").get_data(as_text=True)
    assert sessions_of(user)[0].mfa_method == "recovery"
    again = sign_in_with_code(app.test_client(), user, codes[3])
    assert again.status_code == 422
    assert mfa.recovery_codes_left(user) == 9


def test_new_recovery_codes_replace_the_old_ones(auth, client):
    user = auth.login("facilitator")
    enrol_directly(user)
    old = mfa.new_recovery_codes(user)
    db.session.commit()
    refused = post_form(client, "/account/two-factor/recovery-codes", {"current_password": "wrong"})
    assert refused.status_code == 422 and "not your current password" in refused.get_data(as_text=True)
    response = post_form(client, "/account/two-factor/recovery-codes", {"current_password": PASSWORD})
    assert response.headers["Location"] == "/account/two-factor/recovery-codes"
    new = re.findall(
        r"<code>([a-z0-9-]{19})</code>",
        client.get("/account/two-factor/recovery-codes").get_data(as_text=True),
    )
    assert len(new) == 10 and not set(new) & set(old)
    assert not mfa.use_recovery_code(user, old[0], utcnow())
    assert mfa.use_recovery_code(user, new[0], utcnow())


# ------------------------------------------------------------------------------ required roles


def test_a_required_role_without_two_factor_is_sent_to_set_it_up(mfa_client, mfa_make):
    user = mfa_make.user("facilitator")
    Auth(mfa_client, mfa_make).login(user)
    for path in ("/", "/homes", "/groups", "/account", "/account/password"):
        assert mfa_client.get(path).headers["Location"] == "/account/two-factor", path
    assert mfa_client.get("/account/two-factor").status_code == 200
    assert mfa_client.get("/healthz").status_code == 200  # public pages stay public
    secret = setup_secret(mfa_client.get("/account/two-factor").get_data(as_text=True))
    post_form(mfa_client, "/account/two-factor", {"code": current_code(secret)})
    assert mfa_client.get("/").status_code == 200


def test_the_api_is_not_redirected(mfa_app, mfa_make):
    from tests.support.factories import ApiClient

    api = ApiClient(mfa_app, mfa_make)
    admin = mfa_make.user("admin")
    enrol_directly(admin)  # an API token is only made for someone who has set up two-step sign-in
    api.as_user(admin)
    assert api.get("/api/v1/users").status_code == 200


def test_a_user_who_may_sign_out_while_setting_up(mfa_client, mfa_make):
    user = mfa_make.user("lead")
    auth = Auth(mfa_client, mfa_make)
    auth.login(user)
    assert auth.post("/logout", {}, page="/account/two-factor").headers["Location"] == "/login"
    assert sessions_of(user) == []


def test_roles_not_listed_do_not_need_two_factor(make_app):
    app = make_app(MFA_REQUIRED_ROLES="admin")
    with app.app_context():
        make = Factory(app)
        client = app.test_client()
        Auth(client, make).login("lead")
        assert client.get("/").status_code == 200
        Auth(client, make).login("admin")
        assert client.get("/").headers["Location"] == "/account/two-factor"


def test_a_role_that_becomes_required_signs_in_again_with_the_code(make_app, make, auth, client):
    user = auth.login("lead")
    enrol_directly(user)
    db.session.execute(UserSession.__table__.update().values(mfa_method=None))
    db.session.commit()
    strict = make_app(MFA_REQUIRED_ROLES="lead")
    with strict.app_context():
        strict_client = strict.test_client()
        strict_client.set_cookie(
            strict.config["SESSION_COOKIE_NAME"],
            client.get_cookie(strict.config["SESSION_COOKIE_NAME"]).value,
        )
        assert strict_client.get("/").headers["Location"] == "/login"
    assert sessions_of(user) == []


def test_unknown_roles_in_the_setting_refuse_to_start(make_app):
    with pytest.raises(ValueError, match="MFA_REQUIRED_ROLES"):
        make_app(MFA_REQUIRED_ROLES="admin,superuser")


def test_required_roles_may_be_a_list(make_app):
    app = make_app(MFA_REQUIRED_ROLES=["Admin", " lead "])
    with app.app_context():
        assert mfa.parse_roles(app.config["MFA_REQUIRED_ROLES"]) == {"admin", "lead"}


def test_the_default_requires_every_staff_role(make_app):
    from facilitator.config import DEFAULTS

    assert mfa.parse_roles(DEFAULTS["MFA_REQUIRED_ROLES"]) == {"admin", "lead", "facilitator", "supervisor"}


def test_two_factor_cannot_be_turned_off_when_the_role_needs_it(mfa_client, mfa_make):
    user = mfa_make.user("lead")
    enrol_directly(user)
    codes = mfa.new_recovery_codes(user)
    db.session.commit()
    sign_in_with_code(mfa_client, user, codes[0])
    page = mfa_client.get("/account").get_data(as_text=True)
    assert "Turn off two-step sign-in" not in page
    response = post_form(
        mfa_client, "/account/two-factor/off", {"current_password": PASSWORD}, page="/account"
    )
    assert response.headers["Location"] == "/account"
    db.session.refresh(user)
    assert user.has_mfa


def test_two_factor_can_be_turned_off_with_the_password_when_optional(auth, client):
    user = auth.login("supervisor")
    enrol_directly(user)
    refused = post_form(client, "/account/two-factor/off", {"current_password": "wrong"}, page="/account")
    assert refused.status_code == 422
    assert 'id="current_password-error"' in refused.get_data(as_text=True)
    post_form(client, "/account/two-factor/off", {"current_password": PASSWORD}, page="/account")
    db.session.refresh(user)
    assert not user.has_mfa
    assert db.session.scalar(select(RecoveryCode).where(RecoveryCode.user_id == user.id)) is None


# ------------------------------------------------------------------------------ admin reset


def test_an_admin_resets_a_users_two_factor(auth, client, app, make):
    user = make.user("facilitator")
    enrol_directly(user)
    theirs = app.test_client()
    secret = mfa.secret_of(user)
    sign_in_with_code(theirs, user, current_code(secret, 1))
    assert theirs.get("/").status_code == 200
    auth.login("admin")
    page = client.get(f"/users/{user.id}").get_data(as_text=True)
    assert "Reset two-step sign-in" in page
    response = post_form(client, f"/users/{user.id}/two-factor/reset", {}, page=f"/users/{user.id}")
    assert response.headers["Location"] == f"/users/{user.id}"
    db.session.refresh(user)
    assert not user.has_mfa
    assert theirs.get("/").status_code == 302


def test_an_admin_cannot_reset_their_own_two_factor_from_the_user_screen(auth, client):
    admin = auth.login("admin")
    enrol_directly(admin)
    post_form(client, f"/users/{admin.id}/two-factor/reset", {}, page=f"/users/{admin.id}")
    db.session.refresh(admin)
    assert admin.has_mfa


def test_reset_mfa_command(app, runner, make):
    user = make.user("lead")
    enrol_directly(user)
    result = runner.invoke(args=["reset-mfa", user.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert not user.has_mfa
    assert runner.invoke(args=["reset-mfa", "nobody@example.org"]).exit_code != 0


def test_old_login_attempts_do_not_lock_after_the_window(client, make):
    user = make.user("lead")
    secret = enrol_directly(user)
    for _ in range(5):
        db.session.add(
            LoginAttempt(
                email=user.email, succeeded=False, method="totp", created_at=utcnow() - timedelta(minutes=16)
            )
        )
    db.session.commit()
    assert sign_in_with_code(client, user, current_code(secret, 1)).headers["Location"] == "/"
