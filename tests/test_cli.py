"""``flask --app facilitator create-user | api-token | demo``, run through Click's test runner."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from facilitator.auth.passwords import verify_password
from facilitator.extensions import db
from facilitator.models import ApiToken, CareHome, Contact, Group, User
from tests.support.factories import Factory

PASSWORD = "heather bothy kettle"

# Scotland's 32 council areas, in the short and the long form of their names.
SCOTTISH_REGIONS = {
    "Aberdeen", "Aberdeen City", "Aberdeenshire", "Angus", "Argyll and Bute", "Clackmannanshire",
    "Dumfries and Galloway", "Dundee", "Dundee City", "East Ayrshire", "East Dunbartonshire",
    "East Lothian", "East Renfrewshire", "Edinburgh", "City of Edinburgh", "Falkirk", "Fife",
    "Glasgow", "Glasgow City", "Highland", "Inverclyde", "Midlothian", "Moray",
    "Na h-Eileanan Siar", "North Ayrshire", "North Lanarkshire", "Orkney", "Orkney Islands",
    "Perth and Kinross", "Renfrewshire", "Scottish Borders", "Shetland", "Shetland Islands",
    "South Ayrshire", "South Lanarkshire", "Stirling", "West Dunbartonshire", "West Lothian",
}


def committed(stmt: Any) -> list[Any]:
    """Rows the database has committed (anything the session holds uncommitted is dropped)."""
    db.session.rollback()
    return list(db.session.scalars(stmt))


def count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def signs_in(app: Flask, make: Factory, user: User, password: str) -> bool:
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
    return response.status_code == 302


# create-user ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stdin", [f"{PASSWORD}\n", f"{PASSWORD}\r\n", PASSWORD])
def test_create_user_reads_the_password_from_standard_input(app, make, runner, stdin):
    result = runner.invoke(args=["create-user", "Morag.Campbell@Example.org", "--role", "admin",
                                 "--name", "Morag Campbell", "--password-stdin"], input=stdin)
    assert result.exit_code == 0, result.output
    [user] = committed(select(User))
    assert (user.email, user.name, user.role, user.is_active) == (
        "morag.campbell@example.org", "Morag Campbell", "admin", True)
    assert verify_password(user.password_hash, PASSWORD)
    assert signs_in(app, make, user, PASSWORD)


def test_create_user_names_the_user_after_their_email_by_default(runner):
    result = runner.invoke(args=["create-user", "iain@example.org", "--role", "lead", "--password-stdin"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    [user] = committed(select(User))
    assert (user.name, user.role) == ("iain", "lead")


def test_create_user_asks_for_the_password_twice(runner):
    result = runner.invoke(args=["create-user", "ruth@example.org", "--role", "supervisor"],
                           input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output and PASSWORD not in result.output, "the password is not echoed"
    [user] = committed(select(User))
    assert verify_password(user.password_hash, PASSWORD)


def test_create_user_stops_when_the_two_passwords_differ(runner):
    result = runner.invoke(args=["create-user", "ruth@example.org", "--role", "supervisor"],
                           input=f"{PASSWORD}\nsomething else entirely\n")
    assert result.exit_code != 0
    assert count(User) == 0


@pytest.mark.parametrize("stdin", ["short\n", "eleven char\n", "\n", ""])
def test_create_user_refuses_a_too_short_password(runner, stdin):
    result = runner.invoke(args=["create-user", "euan@example.org", "--role", "admin", "--password-stdin"],
                           input=stdin)
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert "Traceback" not in result.output
    assert count(User) == 0, "no account, and certainly none without a password"


def test_create_user_refuses_a_taken_email(runner, make):
    make.user("lead", email="kirsty@example.org")
    result = runner.invoke(args=["create-user", "Kirsty@Example.org", "--role", "admin", "--password-stdin"],
                           input=f"{PASSWORD}\n")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert [u.role for u in committed(select(User))] == ["lead"]


@pytest.mark.parametrize("args", [
    ["create-user", "x@example.org", "--role", "owner", "--password-stdin"],
    ["create-user", "x@example.org", "--password-stdin"],
    ["create-user", "--role", "admin", "--password-stdin"],
])
def test_create_user_usage_errors(runner, args):
    result = runner.invoke(args=args, input=f"{PASSWORD}\n")
    assert result.exit_code == 2, result.output
    assert count(User) == 0


# api-token --------------------------------------------------------------------------------------

def test_api_token_prints_one_line_that_works_as_a_bearer_token(app, runner, make):
    user = make.user("admin", email="morag@example.org")
    result = runner.invoke(args=["api-token", "MORAG@example.org", "--label", "nightly import"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and result.stdout == lines[0] + "\n"
    token = lines[0]
    assert token == token.strip() and " " not in token

    response = app.test_client().get("/api/v1/users", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert user.email in {u["email"] for u in response.get_json()["users"]}
    [row] = committed(select(ApiToken))
    assert (row.user_id, row.label, row.revoked_at) == (user.id, "nightly import", None)
    assert token not in row.token_hash, "only a hash of the token is stored"


def test_api_token_carries_the_users_role(app, runner, make):
    make.user("lead", email="iain@example.org")
    token = runner.invoke(args=["api-token", "iain@example.org"]).stdout.strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert client.post("/api/v1/homes", headers=headers, json={"name": "X"}).status_code == 403


def test_each_api_token_is_new_and_all_of_them_work(app, runner, make):
    make.user("admin", email="morag@example.org")
    tokens = [runner.invoke(args=["api-token", "morag@example.org"]).stdout.strip() for _ in range(2)]
    assert tokens[0] != tokens[1]
    client = app.test_client()
    for token in tokens:
        assert client.get("/api/v1/homes", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert count(ApiToken) == 2


@pytest.mark.parametrize("email", ["nobody@example.org", "gone@example.org"])
def test_api_token_refuses_unknown_and_deactivated_users(runner, make, email):
    gone = make.user("admin", email="gone@example.org")
    gone.is_active = False
    db.session.commit()
    result = runner.invoke(args=["api-token", email])
    assert result.exit_code != 0
    assert result.stdout == "", "nothing a script could mistake for a token"
    assert "No active user" in result.output
    assert count(ApiToken) == 0


# demo -------------------------------------------------------------------------------------------

def demo_accounts(output: str) -> dict[str, str]:
    """The ``email -> password`` pairs the demo prints."""
    return dict(re.findall(r"(\S+@\S+)\s+password: (.+)$", output, re.MULTILINE))


def test_demo_fills_an_empty_database(app, make, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output

    users = committed(select(User))
    assert Counter(u.role for u in users) == {"admin": 1, "lead": 1, "supervisor": 1, "facilitator": 2}
    [supervisor] = [u for u in users if u.role == "supervisor"]
    assert all(u.supervisor_id == supervisor.id for u in users if u.role == "facilitator")

    homes = committed(select(CareHome))
    assert 10 <= len(homes) <= 14, "about 12 care homes"
    assert {h.region for h in homes} <= SCOTTISH_REGIONS
    assert len({h.region for h in homes}) >= 5, "spread across Scotland"
    assert all(2 <= len(h.contacts) <= 4 for h in homes)
    assert {len(h.contacts) for h in homes} == {2, 3, 4}
    assert count(Contact) == sum(len(h.contacts) for h in homes)

    groups = committed(select(Group))
    assert len(groups) == 3
    facilitator_ids = {u.id for u in users if u.role == "facilitator"}
    for group in groups:
        assert group.facilitators and {u.id for u in group.facilitators} <= facilitator_ids
        assert group.memberships and all(m.left_on is None for m in group.memberships)
    assert set().union(*({u.id for u in gr.facilitators} for gr in groups)) == facilitator_ids

    assert "/login" in result.output
    accounts = demo_accounts(result.output)
    assert set(accounts) == {u.email for u in users}, "every account is printed with its password"
    for user in users:
        assert signs_in(app, make, user, accounts[user.email]), user.email


def test_demo_uses_the_password_given(app, make, runner):
    result = runner.invoke(args=["demo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert set(demo_accounts(result.output).values()) == {PASSWORD}
    admin = committed(select(User).where(User.role == "admin"))[0]
    assert signs_in(app, make, admin, PASSWORD)


def test_demo_does_not_load_twice(runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    before = [count(m) for m in (User, CareHome, Contact, Group)]

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, "refusing is not a failure: `make run` runs the demo every time"
    assert "not loaded" in again.output
    assert [count(m) for m in (User, CareHome, Contact, Group)] == before
    # ... and `make run` says again where the app is, who to sign in as and where emails go.
    assert demo_accounts(again.output) == demo_accounts(runner.invoke(args=["demo"]).output) != {}
    assert "http://127.0.0.1:5000/login" in again.output
    assert "Emails are written as .eml files" in again.output


def test_demo_leaves_a_database_in_use_alone(runner, make):
    make.user("admin")
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert (count(User), count(CareHome), count(Group)) == (1, 0, 0)
