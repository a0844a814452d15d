"""One owner of each request's transaction (``facilitator.transaction``).

- A provider is never called while a transaction is open: every call the fake Zoom receives,
  from a booking, a change, a cancel, a retry, the sync worker and an attendance import, checks
  that no database connection holds a transaction at that moment.
- After-commit jobs run once the work is committed, never after a rollback or a refused request.
- A request that fails to commit answers 500, keeps nothing and shows no "Saved" on the next page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine

from facilitator import providers, transaction
from facilitator.attendance import worker
from facilitator.booking import sync
from facilitator.extensions import db
from facilitator.models import MeetingSession, User
from tests.support.providers import PROVIDER_CONFIG, FakeZoom, Sleeps, iso, soon


class OpenTransactions:
    """Which SQLAlchemy connections (of any engine) are inside a transaction right now."""

    def __init__(self) -> None:
        self.open: set[int] = set()
        self.checked = 0

    def begin(self, conn: Any) -> None:
        self.open.add(id(conn))

    def end(self, conn: Any) -> None:
        self.open.discard(id(conn))

    def assert_none(self) -> None:
        self.checked += 1
        assert not self.open, "a provider was called while a database transaction was open"


@pytest.fixture
def transactions() -> Any:
    watch = OpenTransactions()
    hooks = [("begin", watch.begin), ("commit", watch.end), ("rollback", watch.end)]
    for name, fn in hooks:
        event.listen(Engine, name, fn)
    yield watch
    for name, fn in hooks:
        event.remove(Engine, name, fn)


@pytest.fixture
def app(make_app):
    app = make_app(**PROVIDER_CONFIG)
    with app.app_context():
        providers.hub().sleep = Sleeps()
        yield app


@pytest.fixture
def zoom(mocked, transactions):
    fake = FakeZoom(mocked)
    real = fake.mocked.add_callback

    def checked(method: str, url: Any, callback: Any, **kwargs: Any) -> Any:
        def guarded(request: Any) -> Any:
            transactions.assert_none()
            return callback(request)
        return real(method, url, callback=guarded, **kwargs)

    fake.mocked.add_callback = checked  # type: ignore[method-assign]
    return fake


@pytest.fixture
def facilitator(make):
    return make.user("facilitator")


@pytest.fixture
def group(make, facilitator):
    home = make.home(contacts=1)
    return make.group(facilitators=[facilitator], provider="zoom", homes=[home])


def test_no_provider_call_happens_inside_a_transaction(app, api, auth, facilitator, group, zoom,
                                                       transactions):
    zoom.serve("token", "create", "update", "delete", "instances", "participants")
    api.as_user(facilitator)
    booked = api.post("/api/v1/sessions", json={"group_id": group.id, "title": "By the API",
                                                "starts_at": iso(soon()), "duration_minutes": 60})
    assert booked.status_code == 201 and booked.json["sync_state"] == "synced"
    session_id = booked.json["id"]
    moved = api.patch(f"/api/v1/sessions/{session_id}", json={"starts_at": iso(soon(days=8))})
    assert moved.status_code == 200 and moved.json["sync_state"] == "synced"

    auth.login(facilitator)
    day = soon(days=9)
    form = {"title": "On the page", "date": day.date().isoformat(), "start_time": "10:00",
            "duration_minutes": "60", "provider": "zoom", "repeat_every": "", "repeat_count": "1"}
    page = auth.post(f"/groups/{group.id}/sessions/new", form)
    assert page.status_code == 302
    cancelled = api.delete(f"/api/v1/sessions/{session_id}")
    assert cancelled.status_code == 200 and cancelled.json["sync_state"] == "synced"

    app.config["SYNC_INLINE_LIMIT"] = 0
    queued = api.post("/api/v1/sessions", json={"group_id": group.id, "title": "For the worker",
                                                "starts_at": iso(soon(days=10)), "duration_minutes": 60})
    assert queued.json["sync_state"] == "pending"
    assert sync.drain().done == 1

    past = db.session.scalar(sa.select(MeetingSession).where(MeetingSession.title == "For the worker"))
    current_app.config["FROZEN_NOW"] = past.ends_at + timedelta(minutes=30)
    outcome = worker.import_now(past, user=db.session.get(User, facilitator.id))
    assert outcome.state == "done", outcome.message
    assert transactions.checked >= 7, "every kind of call was made and checked"


def test_after_commit_jobs_run_after_the_commit_and_see_what_it_wrote(app, make):
    user = make.user("lead")
    seen: list[str] = []

    def job(user_id: int) -> str:
        seen.append(db.session.get(User, user_id, populate_existing=True).name)
        return "done"

    db.session.get(User, user.id).name = "Renamed"
    handle = transaction.after_commit(job, user.id)
    assert seen == [] and not handle.done
    transaction.commit()
    assert seen == ["Renamed"] and handle.result == "done"


def test_a_rollback_drops_the_jobs_it_would_have_run(app, make):
    user = make.user("lead")
    ran: list[int] = []
    db.session.get(User, user.id).name = "Never saved"
    db.session.flush()
    transaction.after_commit(ran.append, 1)
    db.session.rollback()
    transaction.commit()
    assert ran == []
    assert db.session.get(User, user.id).name != "Never saved"


def test_a_savepoint_rolled_back_keeps_the_jobs_of_the_transaction_around_it(app, make):
    user = make.user("lead")
    ran: list[int] = []
    db.session.get(User, user.id).name = "Saved"
    transaction.after_commit(ran.append, 1)
    with pytest.raises(RuntimeError), db.session.begin_nested():
        db.session.get(User, user.id).name = "Undone"
        raise RuntimeError("undo just this part")
    transaction.commit()
    assert ran == [1]


def test_a_failing_job_is_logged_and_the_rest_still_run(app, caplog):
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("the provider fell over")

    transaction.after_commit(broken)
    transaction.after_commit(ran.append, "second")
    transaction.commit()
    assert ran == ["second"]
    assert "After-commit job broken failed" in caplog.text


@pytest.mark.fresh_app  # adds routes
def test_a_refused_request_keeps_nothing_and_runs_no_job(make_app):
    app = make_app()
    ran: list[str] = []

    @app.route("/test-refused", methods=["POST"])
    def refused() -> Any:
        db.session.add(User(email="kept@example.org", name="Kept?", role="lead"))
        transaction.after_commit(ran.append, "job")
        return "No", 422

    refused.allowed_roles = frozenset({"public"})  # type: ignore[attr-defined]
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        assert app.test_client().post("/test-refused").status_code == 422
        assert db.session.scalar(sa.select(User).where(User.email == "kept@example.org")) is None
    assert ran == []


@pytest.mark.fresh_app  # adds routes
def test_a_commit_that_fails_answers_500_and_claims_nothing(make_app):
    from flask import flash

    app = make_app()

    @app.route("/test-fails-at-commit", methods=["POST"])
    def fails() -> Any:
        db.session.add(User(email="twice@example.org", name="One", role="lead"))
        db.session.add(User(email="twice@example.org", name="Two", role="lead"))  # unique email
        flash("Saved.", "success")
        g.saw_view = True
        return "Saved"

    fails.allowed_roles = frozenset({"public"})  # type: ignore[attr-defined]
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production, not raise into the test
    client = app.test_client()
    with app.app_context():
        response = client.post("/test-fails-at-commit")
        assert response.status_code == 500
        assert "Saved" not in response.get_data(as_text=True)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0
        assert "Saved." not in client.get("/login").get_data(as_text=True)
