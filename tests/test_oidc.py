"""Single sign-on against our own OpenID Connect provider on loopback: real discovery, keys and tokens."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from facilitator.admin import services as admin_services
from facilitator.extensions import db
from facilitator.models import LoginAttempt, UserSession
from tests.support import oidc_provider
from tests.support.factories import Factory, csrf_token
from tests.support.mfa import current_code, enrol_directly
from tests.support.oidc_provider import OidcProvider


@pytest.fixture
def idp() -> Iterator[OidcProvider]:
    with OidcProvider() as provider:
        yield provider


@pytest.fixture
def sso_app(make_app: Any, idp: OidcProvider) -> Iterator[Any]:
    app = make_app(**idp.config())
    with app.app_context():
        yield app


@pytest.fixture
def sso_client(sso_app: Any) -> Any:
    return sso_app.test_client()


@pytest.fixture
def sso_make(sso_app: Any) -> Factory:
    return Factory(sso_app)


def start(client: Any, next_url: str | None = None) -> str:
    response = client.get("/login/sso" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def sso_sign_in(client: Any, idp: OidcProvider, next_url: str | None = None) -> Any:
    return client.get(idp.authorize(start(client, next_url)))


def sessions_of(user: Any) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def test_sign_in_with_a_verified_email_of_an_active_user(sso_client, sso_make, idp):
    user = sso_make.user("lead", email="lead.sso@example.org")
    idp.sign_in_as("Lead.SSO@example.org")
    response = sso_sign_in(sso_client, idp, next_url="/homes")
    assert response.status_code == 302
    assert response.headers["Location"] == "/homes"
    assert sso_client.get("/").status_code == 200
    [row] = sessions_of(user)
    assert row.mfa_method is None
    attempt = db.session.scalar(select(LoginAttempt).where(LoginAttempt.method == "sso"))
    assert attempt.succeeded and attempt.email == "lead.sso@example.org"


def test_the_authorization_request_carries_state_nonce_and_pkce(sso_client, idp):
    location = start(sso_client)
    assert location.startswith(idp.issuer + "/authorize?")
    for part in ("state=", "nonce=", "code_challenge=", "code_challenge_method=S256", "scope=openid"):
        assert part in location
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Flogin%2Fsso%2Fcallback" in location


def test_login_page_offers_single_sign_on_only_when_configured(sso_client, client):
    assert "Sign in with Test IdP" in sso_client.get("/login").get_data(as_text=True)
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def _refused(client: Any, response: Any, message: str) -> None:
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert message in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("verified", [False, None, "false"])
def test_an_unverified_email_is_refused(sso_client, sso_make, idp, verified):
    user = sso_make.user("lead")
    idp.sign_in_as(user.email, verified=verified)
    _refused(sso_client, sso_sign_in(sso_client, idp), "did not confirm your email address")
    assert sessions_of(user) == []


def test_entra_domain_owner_verified_email_is_accepted(sso_client, sso_make, idp):
    """Entra ID tokens carry no email_verified; the optional claim xms_edov says the domain is verified."""
    user = sso_make.user("facilitator")
    idp.sign_in_as(user.email, verified=None, xms_edov=True, tid="00000000-0000-0000-0000-000000000001")
    assert sso_sign_in(sso_client, idp).headers["Location"] == "/"
    assert len(sessions_of(user)) == 1


def test_no_account_means_no_sign_in_and_no_account_is_created(sso_client, idp):
    idp.sign_in_as("stranger@example.org")
    _refused(sso_client, sso_sign_in(sso_client, idp), "no active account for stranger@example.org")
    assert db.session.scalar(select(UserSession)) is None
    attempt = db.session.scalar(select(LoginAttempt).where(LoginAttempt.method == "sso"))
    assert attempt.succeeded is False


def test_a_deactivated_user_cannot_sign_in(sso_client, sso_make, idp):
    user = sso_make.user("lead")
    admin_services.update_user(user, is_active=False)
    db.session.commit()
    idp.sign_in_as(user.email)
    _refused(sso_client, sso_sign_in(sso_client, idp), "no active account")


def test_allowed_domains_limit_who_may_sign_in(make_app, idp):
    app = make_app(**idp.config(OIDC_ALLOWED_DOMAINS="nhs.scot, @care.example"))
    with app.app_context():
        make, client = Factory(app), app.test_client()
        outsider = make.user("lead", email="lead@example.org")
        insider = make.user("lead", email="lead@care.example")
        idp.sign_in_as(outsider.email)
        _refused(client, sso_sign_in(client, idp), "not allowed for your email domain")
        idp.sign_in_as(insider.email)
        assert sso_sign_in(client, idp).headers["Location"] == "/"


def test_a_wrong_state_is_refused(sso_client, sso_make, idp):
    user = sso_make.user("lead")
    idp.sign_in_as(user.email)
    callback = idp.authorize(start(sso_client))
    forged = callback.replace("state=", "state=forged")
    _refused(sso_client, sso_client.get(forged), "Single sign-on did not work")
    assert sessions_of(user) == []


def test_a_callback_from_another_browser_is_refused(sso_app, sso_client, sso_make, idp):
    """Login CSRF: the state lives in the browser that started, so a victim's browser cannot finish."""
    user = sso_make.user("lead")
    idp.sign_in_as(user.email)
    callback = idp.authorize(start(sso_client))
    victim = sso_app.test_client()
    _refused(victim, victim.get(callback), "Single sign-on did not work")
    assert sessions_of(user) == []


def test_a_state_is_used_once(sso_client, sso_make, idp):
    user = sso_make.user("lead")
    idp.sign_in_as(user.email)
    callback = idp.authorize(start(sso_client))
    assert sso_client.get(callback).headers["Location"] == "/"
    db.session.execute(UserSession.__table__.delete())  # signed out, then the same answer replayed
    db.session.commit()
    _refused(sso_client, sso_client.get(callback), "Single sign-on did not work")


@pytest.mark.parametrize("spoil, reason", [
    ({"nonce": "a-nonce-from-another-sign-in"}, "Invalid claim: 'nonce'"),
    ({"nonce": None}, "Missing claim: 'nonce'"),
    ({"exp": int(time.time()) - 600, "iat": int(time.time()) - 900}, "ExpiredTokenError"),
    ({"aud": "some-other-client"}, "azp"),
    ({"iss": "http://127.0.0.1:1/not-the-issuer"}, "Invalid claim: 'iss'"),
], ids=["wrong-nonce", "no-nonce", "expired", "wrong-audience", "wrong-issuer"])
def test_a_spoiled_id_token_is_refused(sso_client, sso_make, idp, caplog, spoil, reason):
    user = sso_make.user("lead")
    idp.sign_in_as(user.email)
    idp.overrides = spoil
    _refused(sso_client, sso_sign_in(sso_client, idp), "Single sign-on did not work")
    assert sessions_of(user) == []
    assert reason in caplog.text


def test_an_id_token_signed_with_another_key_is_refused(sso_client, sso_make, idp, caplog):
    user = sso_make.user("lead")
    idp.sign_in_as(user.email)
    idp.signing_key = oidc_provider.new_key(kid=idp.key.kid)  # same key id, a stranger's key
    _refused(sso_client, sso_sign_in(sso_client, idp), "Single sign-on did not work")
    assert sessions_of(user) == []
    assert "BadSignatureError" in caplog.text


def test_the_identity_providers_mfa_counts_when_amr_says_so(make_app, idp):
    app = make_app(**idp.config(MFA_REQUIRED_ROLES="lead"))
    with app.app_context():
        make, client = Factory(app), app.test_client()
        user = make.user("lead")
        idp.sign_in_as(user.email, amr=["pwd", "mfa"])
        assert sso_sign_in(client, idp).headers["Location"] == "/"
        assert client.get("/").status_code == 200  # no detour to set up our own two-factor
        [row] = sessions_of(user)
        assert row.mfa_method == "idp"


def test_without_amr_mfa_a_required_role_still_sets_up_two_factor(make_app, idp):
    app = make_app(**idp.config(MFA_REQUIRED_ROLES="lead"))
    with app.app_context():
        make, client = Factory(app), app.test_client()
        user = make.user("lead")
        idp.sign_in_as(user.email, amr=["pwd"])
        sso_sign_in(client, idp)
        assert client.get("/").headers["Location"] == "/account/two-factor"


def test_idp_mfa_is_not_trusted_when_switched_off(make_app, idp):
    app = make_app(**idp.config(MFA_REQUIRED_ROLES="lead", OIDC_TRUST_IDP_MFA=False))
    with app.app_context():
        make, client = Factory(app), app.test_client()
        make.user("lead", email="lead.off@example.org")
        idp.sign_in_as("lead.off@example.org", amr=["mfa"])
        sso_sign_in(client, idp)
        assert client.get("/").headers["Location"] == "/account/two-factor"


def test_a_user_with_our_two_factor_enters_a_code_after_sso(sso_client, sso_make, idp):
    user = sso_make.user("facilitator")
    secret = enrol_directly(user)
    idp.sign_in_as(user.email)
    response = sso_sign_in(sso_client, idp)
    assert response.headers["Location"] == "/login/two-factor"
    assert sessions_of(user) == []
    html = sso_client.get("/login/two-factor").get_data(as_text=True)
    response = sso_client.post("/login/two-factor", data={"code": current_code(secret, step_offset=1),
                                                          "csrf_token": csrf_token(html)})
    assert response.headers["Location"] == "/"
    [row] = sessions_of(user)
    assert row.mfa_method == "totp"


def test_the_provider_is_unreachable(make_app):
    app = make_app(OIDC_DISCOVERY_URL="http://127.0.0.1:9/.well-known/openid-configuration",
                   OIDC_CLIENT_ID="x", HTTP_TIMEOUT=[1, 1])
    with app.app_context():
        client = app.test_client()
        response = client.get("/login/sso")
        assert response.headers["Location"] == "/login"
        assert "Single sign-on did not work" in client.get("/login").get_data(as_text=True)


def test_the_identity_provider_says_no(sso_client, idp):
    start(sso_client)
    response = sso_client.get("/login/sso/callback?error=access_denied&error_description=User+cancelled")
    _refused(sso_client, response, "Single sign-on did not work")


def test_discovery_without_client_id_refuses_to_start(make_app):
    with pytest.raises(ValueError, match="OIDC_CLIENT_ID"):
        make_app(OIDC_DISCOVERY_URL="https://login.example/.well-known/openid-configuration")
