"""API tokens: made only for users who could sign in in full, they expire, and their owner revokes them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from facilitator.auth import mfa
from facilitator.auth.api_tokens import issue_api_token
from facilitator.clock import system_now
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import ApiToken
from facilitator.supervision.audit import CLI
from tests.support.factories import Factory
from tests.support.mfa import enrol_directly


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def strict(make_app: Any) -> Any:
    """An app whose facilitators must use two-step sign-in."""
    app = make_app(MFA_REQUIRED_ROLES="facilitator", API_TOKEN_DAYS=30)
    with app.app_context():
        yield app


@pytest.fixture
def strict_make(strict: Flask) -> Factory:
    return Factory(strict)


def token_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ApiToken))


def test_cli_refuses_a_token_to_someone_without_two_step(strict: Flask, strict_make: Factory) -> None:
    strict_make.user("facilitator", email="eilidh@example.org")
    result = strict.test_cli_runner().invoke(args=["api-token", "eilidh@example.org"])
    assert result.exit_code == 1
    assert result.stdout == "", "nothing a script could mistake for a token"
    assert "eilidh@example.org must set up two-step sign-in before an API token can be made" in result.output
    assert token_count() == 0


def test_cli_makes_a_token_once_two_step_sign_in_is_set_up(strict: Flask, strict_make: Factory) -> None:
    user = strict_make.user("facilitator", email="eilidh@example.org")
    enrol_directly(user)
    result = strict.test_cli_runner().invoke(args=["api-token", "eilidh@example.org"])
    assert result.exit_code == 0, result.output
    assert "works for 30 days" in result.output
    token = result.stdout.strip()
    assert strict.test_client().get("/api/v1/sessions", headers=bearer(token)).status_code == 200
    [row] = db.session.scalars(select(ApiToken))
    assert row.expires_at - row.created_at == timedelta(days=30)


def test_roles_without_the_requirement_get_tokens_without_it(strict: Flask, strict_make: Factory) -> None:
    lead = strict_make.user("lead")
    token = issue_api_token(lead)
    db.session.commit()
    assert strict.test_client().get("/api/v1/homes", headers=bearer(token)).status_code == 200


def test_the_service_refuses_too(strict: Flask, strict_make: Factory) -> None:
    with pytest.raises(DomainError, match="must set up two-step sign-in"):
        issue_api_token(strict_make.user("facilitator"))


def test_a_token_stops_working_when_two_step_sign_in_is_reset(strict: Flask, strict_make: Factory) -> None:
    user = strict_make.user("facilitator")
    enrol_directly(user)
    token = issue_api_token(user)
    db.session.commit()
    client = strict.test_client()
    assert client.get("/api/v1/sessions", headers=bearer(token)).status_code == 200
    mfa.reset_mfa(user, actor=strict_make.user("admin"), origin=CLI)
    db.session.commit()
    assert client.get("/api/v1/sessions", headers=bearer(token)).status_code == 401


def test_a_token_made_before_the_role_needed_two_step_sign_in_is_refused(make_app: Any, make: Any) -> None:
    relaxed = make_app(MFA_REQUIRED_ROLES="")
    with relaxed.app_context():
        token = issue_api_token(make.user("facilitator"))
        db.session.commit()
        assert relaxed.test_client().get("/api/v1/sessions", headers=bearer(token)).status_code == 200
    strict = make_app(MFA_REQUIRED_ROLES="facilitator")
    with strict.app_context():
        assert strict.test_client().get("/api/v1/sessions", headers=bearer(token)).status_code == 401


def test_an_expired_token_is_refused(app: Flask, make: Any) -> None:
    token = issue_api_token(make.user("lead"))
    db.session.commit()
    client = app.test_client()
    assert client.get("/api/v1/homes", headers=bearer(token)).status_code == 200
    row = db.session.scalar(select(ApiToken))
    row.expires_at = system_now() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/homes", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"]["message"]


def test_the_account_page_lists_tokens_with_their_expiry_and_revokes_one(app: Flask, make: Any,
                                                                         auth: Any) -> None:
    user = make.user("lead")
    kept, revoked = issue_api_token(user, "nightly import"), issue_api_token(user, "old laptop")
    someone_else = issue_api_token(make.user("lead"), "not yours")
    db.session.commit()
    auth.login(user)
    page = auth.client.get("/account").get_data(as_text=True)
    assert "nightly import" in page and "old laptop" in page and "not yours" not in page
    rows = {t.label: t for t in db.session.scalars(select(ApiToken))}
    assert f"{rows['nightly import'].expires_at:%Y}" in page and "Expires" in page
    target = f"/account/api-tokens/{rows['old laptop'].id}/revoke"
    assert auth.client.post(target).status_code == 400, "CSRF is checked"
    response = auth.post(target, {}, page="/account")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account#api-tokens")
    api = app.test_client()
    assert api.get("/api/v1/homes", headers=bearer(revoked)).status_code == 401
    assert api.get("/api/v1/homes", headers=bearer(kept)).status_code == 200
    # Another person's token cannot be revoked from this account.
    auth.post(f"/account/api-tokens/{rows['not yours'].id}/revoke", {}, page="/account")
    assert api.get("/api/v1/homes", headers=bearer(someone_else)).status_code == 200
    assert "old laptop" not in auth.client.get("/account").get_data(as_text=True)


def test_a_token_records_when_it_was_last_used_at_most_hourly(app: Flask, make: Any, auth: Any) -> None:
    user = make.user("lead")
    token = issue_api_token(user, "nightly import")
    db.session.commit()
    auth.login(user)
    assert "Never" in auth.client.get("/account").get_data(as_text=True)
    api = app.test_client()
    assert api.get("/api/v1/homes", headers=bearer(token)).status_code == 200
    db.session.expire_all()
    first = db.session.scalar(select(ApiToken.last_used_at))
    assert first is not None and abs(system_now() - first) < timedelta(minutes=1)
    assert api.get("/api/v1/homes", headers=bearer(token)).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) == first, "not written again within the hour"
    row = db.session.scalar(select(ApiToken))
    row.last_used_at = first - timedelta(hours=2)
    db.session.commit()
    assert api.get("/api/v1/homes", headers=bearer(token)).status_code == 200
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.last_used_at)) > first - timedelta(hours=2)
    assert "Never" not in auth.client.get("/account").get_data(as_text=True)
