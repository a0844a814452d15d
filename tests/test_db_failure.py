"""Saving under a failing database (issue 13): SQLite locked past its busy timeout, a PostgreSQL
row lock past ``lock_timeout``, a refused connection. Nothing is saved, nothing claims to be,
the register comes back with every entry still typed in (503), the API answers 503 with
``Retry-After``; a join link still forwards to the meeting under a long SQLite lock.

Real databases throughout: the lock is held by another connection of a database that really
commits (``real_commits``)."""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import flash

from facilitator import create_app
from facilitator.auth.api_tokens import issue_api_token
from facilitator.extensions import db
from facilitator.models import ContactToken, JoinRecord, User
from facilitator.models.attendance import AttendanceRegister
from tests.support import dbsetup
from tests.support.attendance import AFTER, entries, form_data, session_for
from tests.support.factories import Auth, csrf_token
from tests.support.invites import BASE, JOIN_URL, JOINED, START, add_session, deliver, invites_config, set_now

pytestmark = pytest.mark.real_commits  # another connection holds the lock while the app saves
sqlite_only = pytest.mark.skipif(dbsetup.postgres_url() is not None, reason="SQLite's write lock")

NOT_SAVED = ("We could not save the register just now; nothing was saved. Your entries are still here "
             "— try Save again in a minute.")
SHORT_WAIT_MS = 300
TYPED = {"rows-0-status": "present", "rows-0-staff_count": "4", "rows-0-engagement": "3",
         "rows-0-senior_present": "yes", "rows-0-comment": "Brought their falls audit",
         "rows-1-status": "absent", "rows-1-comment": "Flu outbreak on the ground floor"}


@pytest.fixture
def app(make_app):
    app = make_app(FROZEN_NOW=AFTER, SQLITE_BUSY_TIMEOUT_MS=SHORT_WAIT_MS,
                   DB_STATEMENT_TIMEOUT_MS=SHORT_WAIT_MS)
    with app.app_context():
        yield app


@pytest.fixture
def world(app, make):
    facilitator = make.user("facilitator", name="Ailsa Fraser")
    homes = [make.home(n) for n in ("Ardenlea House", "Bellfield Court")]
    group = make.group(facilitators=[facilitator], homes=homes, joined_on=date(2026, 1, 5))
    session = session_for(group)
    db.session.commit()
    client = app.test_client()
    Auth(client, make).login(facilitator)
    return {"facilitator": facilitator, "homes": homes, "session": session, "client": client,
            "token": issue_api_token(facilitator), "page": f"/sessions/{session.id}/register",
            "api": f"/api/v1/sessions/{session.id}/attendance"}


@contextmanager
def sqlite_write_lock() -> Iterator[None]:
    """Another connection holds the database's one write lock (a long import, a migration)."""
    db.session.commit()  # the test's own transaction ends first
    other = sqlite3.connect(db.engine.url.database, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE care_homes SET name = name")
        yield
    finally:
        other.rollback()
        other.close()


def register_version(session: Any) -> int:
    db.session.rollback()
    register = db.session.scalar(sa.select(AttendanceRegister)
                                 .where(AttendanceRegister.session_id == session.id))
    return register.version if register else 0


def assert_form_kept(response: Any, typed: dict[str, str]) -> None:
    """503, the honest message, and every typed entry still in the returned form."""
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert NOT_SAVED in page
    assert "is saved" not in page and "lost" not in page
    returned = form_data(page, {})
    assert {name: returned.get(name) for name in typed} == typed


# SQLite: locked past its busy timeout -------------------------------------------------------------

@sqlite_only
def test_a_register_saved_under_a_long_lock_comes_back_with_every_entry(app, world):
    client = world["client"]
    html = client.get(world["page"]).get_data(as_text=True)
    typed = form_data(html, TYPED)
    with sqlite_write_lock():
        response = client.post(world["page"], data=typed)
    assert_form_kept(response, TYPED)
    assert response.headers["Retry-After"]
    assert entries(world["session"]) == {} and register_version(world["session"]) == 0
    assert "is saved" not in client.get(world["page"]).get_data(as_text=True)  # no "Saved" flashed
    again = form_data(response.get_data(as_text=True), {})  # "try Save again": the returned form saves
    assert client.post(world["page"], data=again).status_code == 302
    saved = entries(world["session"])
    assert saved[world["homes"][0].id].comment == "Brought their falls audit"
    assert saved[world["homes"][1].id].status == "absent"


@sqlite_only
def test_the_api_answers_503_with_retry_after_under_a_long_lock(app, world):
    body = [{"home_id": world["homes"][0].id, "status": "present", "staff_count": 2}]
    headers = {"Authorization": f"Bearer {world['token']}", "If-Match": '"0"'}
    with sqlite_write_lock():
        response = app.test_client().put(world["api"], json=body, headers=headers)
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    message = response.json["error"]["message"]
    assert "Nothing was saved" in message and "try again" in message
    assert entries(world["session"]) == {} and register_version(world["session"]) == 0


@sqlite_only
@pytest.mark.fresh_app  # adds a route
def test_a_form_without_its_own_page_again_gets_the_honest_503(make_app):
    """A save whose first write is the request's one commit, at its end (the teardown path)."""
    app = make_app(SQLITE_BUSY_TIMEOUT_MS=SHORT_WAIT_MS, PROPAGATE_EXCEPTIONS=False, WTF_CSRF_ENABLED=False)

    @app.route("/test-save", methods=["POST"])
    def save() -> Any:
        db.session.add(User(email="kept@example.org", name="Kept?", role="lead"))
        flash("Saved.", "success")
        return "Saved."

    save.allowed_roles = frozenset({"public"})  # type: ignore[attr-defined]
    client = app.test_client()
    with app.app_context():
        with sqlite_write_lock():
            response = client.post("/test-save")
        assert response.status_code == 503 and response.headers["Retry-After"]
        page = response.get_data(as_text=True)
        assert "Nothing was saved." in page and "Saved." not in page.replace("Nothing was saved.", "")
        assert db.session.scalar(sa.select(User).where(User.email == "kept@example.org")) is None
        assert "Saved." not in client.get("/login").get_data(as_text=True)


@pytest.fixture
def links(make_app, make):
    """A session in its join window, with the first contact's join link and home-page link."""
    app = make_app(**invites_config(SQLITE_BUSY_TIMEOUT_MS=8000))  # waiting for the lock would take 8 s
    with app.app_context():
        home = make.home("Ardenlea House")
        group = make.group("West of Scotland PSL", facilitators=[make.user("facilitator")], homes=[home],
                           joined_on=JOINED)
        add_session(group)
        mail = next(m for m in deliver(app)[1] if m.to == home.contacts[0].email)
        set_now(app, START)
        yield app, *(mail.links(f"{BASE}{prefix}")[0].removeprefix(BASE) for prefix in ("/j/", "/h/"))


@sqlite_only
def test_a_join_link_forwards_to_the_meeting_under_a_long_lock(links):
    app, path, _ = links
    client = app.test_client()
    with sqlite_write_lock():
        started = time.monotonic()
        response = client.get(path, headers={"User-Agent": IPAD})
        took = time.monotonic() - started
    assert response.status_code == 303 and response.headers["Location"] == JOIN_URL
    assert took < 4.0, f"the join link waited {took:.1f} s for the lock"
    assert join_count() == 0  # the tap itself is bookkeeping, lost to the lock
    assert client.get(path, headers={"User-Agent": IPAD}).status_code == 303
    assert join_count() == 1  # without a lock it is noted


@sqlite_only
def test_a_home_page_link_answers_under_a_long_lock_and_notes_its_use_after(links):
    app, _, path = links
    client = app.test_client()
    with sqlite_write_lock():
        started = time.monotonic()
        response = client.get(path, headers={"User-Agent": IPAD})
        took = time.monotonic() - started
    assert response.status_code == 200 and "Ardenlea House" in response.get_data(as_text=True)
    assert took < 4.0, f"the home page waited {took:.1f} s for the lock"
    assert last_used() is None
    assert client.get(path, headers={"User-Agent": IPAD}).status_code == 200
    assert last_used() == START


def last_used() -> Any:
    db.session.rollback()
    return db.session.scalar(sa.select(ContactToken.last_used_at))


IPAD = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1"


def join_count() -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(JoinRecord))


# PostgreSQL: statement and lock timeouts ---------------------------------------------------------

@pytest.mark.postgres_only
def test_postgres_connections_have_the_configured_timeouts(make_app):
    app = make_app(DB_STATEMENT_TIMEOUT_MS=1234)
    with app.app_context(), db.engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "1234ms"
        assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "1234ms"


@pytest.mark.postgres_only
def test_a_row_lock_held_elsewhere_fails_the_save_fast_and_keeps_the_form(app, world, test_database):
    client = world["client"]
    headers = {"Authorization": f"Bearer {world['token']}", "If-Match": '"0"'}
    body = [{"home_id": world["homes"][0].id, "status": "late"}]
    assert app.test_client().put(world["api"], json=body, headers=headers).status_code == 200
    html = client.get(world["page"]).get_data(as_text=True)
    typed = form_data(html, TYPED)
    other = sa.create_engine(test_database.url,
                             connect_args={"options": f"-csearch_path={test_database.schema}"})
    try:
        with other.connect() as connection, connection.begin():
            connection.execute(sa.text("SELECT id FROM attendance_registers WHERE session_id = :s "
                                       "FOR UPDATE"), {"s": world["session"].id})
            started = time.monotonic()
            response = client.post(world["page"], data=typed)
            took = time.monotonic() - started
            api = app.test_client().put(world["api"], json=body, headers={**headers, "If-Match": '"1"'})
    finally:
        other.dispose()
    assert_form_kept(response, TYPED)
    assert took < 5, f"the save waited {took:.1f} s behind the lock"
    assert api.status_code == 503 and api.headers["Retry-After"]
    assert register_version(world["session"]) == 1
    assert entries(world["session"])[world["homes"][0].id].status == "late"


# A refused connection ------------------------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_refused_connection_answers_503_not_500(tmp_path):
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test"
    app = create_app({"TESTING": True, "SECRET_KEY": "s" * 40, "DATABASE_URL": url, "MFA_REQUIRED_ROLES": ""},
                     instance_path=str(tmp_path))
    client = app.test_client()
    api = client.get("/api/v1/homes", headers={"Authorization": "Bearer some-token"})
    assert api.status_code == 503 and int(api.headers["Retry-After"]) > 0
    assert "not answering" in api.json["error"]["message"]
    login = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": "a@example.org", "password": "pw",
                                           "csrf_token": csrf_token(login)})
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "Nothing was saved." in response.get_data(as_text=True)
