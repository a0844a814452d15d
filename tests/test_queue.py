"""``facilitator.queue``: the backoff, the run report and the lease claim the three workers share,
the claim raced by two workers at once on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from facilitator import queue, transaction
from facilitator.clock import system_now
from facilitator.extensions import db
from facilitator.invites.services import queue_plain_email
from facilitator.models import OutboxMessage, OutboxStatus
from tests.support import dbsetup


@pytest.mark.parametrize(("attempts", "seconds"), [(0, 60), (1, 60), (2, 120), (3, 240), (6, 1920), (7, 3600),
                                                   (30, 3600)])
def test_the_backoff_doubles_from_its_base_up_to_its_cap(attempts, seconds):
    assert queue.Backoff(60, 3600).delay(attempts) == timedelta(seconds=seconds)


def test_jitter_only_ever_adds_and_stays_within_its_share():
    delays = [queue.Backoff(100, 10_000, jitter=0.25).delay(3).total_seconds() for _ in range(200)]
    assert all(400 <= d <= 500 for d in delays)
    assert len(set(delays)) > 100, "jitter spreads the retries"


def test_the_backoff_reads_its_settings_from_the_config():
    backoff = queue.Backoff.from_config({"BASE": 5, "CAP": 20}, "BASE", "CAP")
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 20]


def test_a_run_report_counts_by_outcome_in_its_own_words():
    report = queue.RunReport(("sent", "sent"), ("retrying", "to retry"))
    report.add("sent", ref="<a@x>")
    report.add("sent", ref="<b@x>")
    report.add("retrying", ref="<c@x>")
    report.add("lost", ref="<d@x>")  # kept by reference, not counted
    report.add("sent", count=3)
    assert (report.sent, report.retrying) == (5, 1)
    assert report.outcomes == {"<a@x>": "sent", "<b@x>": "sent", "<c@x>": "retrying", "<d@x>": "lost"}
    assert report.summary() == "5 sent, 1 to retry" == str(report)
    with pytest.raises(AttributeError):
        report.failed  # noqa: B018 - not an outcome of this report


def test_run_passes_once_or_until_stopped():
    calls: list[int] = []
    queue.run_passes(lambda: calls.append(1), loop=False, interval=5, sleep=lambda _s: None)
    assert calls == [1]

    class Stop(Exception):
        pass

    def sleep(seconds: float) -> None:
        assert seconds == 5
        if len(calls) == 4:
            raise Stop

    with pytest.raises(Stop):
        queue.run_passes(lambda: calls.append(1), loop=True, interval=5, sleep=sleep)
    assert len(calls) == 4


def _pending_message() -> int:
    message = queue_plain_email(to_email="someone@example.org", to_name="Someone", subject="Hello",
                                text="Hello", html="<p>Hello</p>")
    transaction.commit()
    return message.id


def _take(message_id: int, worker: str, now, lease_seconds: int = 300) -> bool:
    still_due = [OutboxMessage.status == OutboxStatus.PENDING,
                 queue.lease_free(OutboxMessage.locked_until, now)]
    won = queue.take(OutboxMessage, message_id, still_due,
                     {"locked_until": now + timedelta(seconds=lease_seconds), "locked_by": worker})
    transaction.commit()
    return won


@pytest.mark.real_commits  # two workers, each in a thread with a connection of its own
def test_two_workers_racing_for_one_job_one_wins_until_its_lease_runs_out(app):
    message_id = _pending_message()
    now = system_now()
    start = threading.Barrier(2)
    won: dict[str, bool] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            with app.app_context():
                start.wait(timeout=10)
                won[name] = _take(message_id, name, now)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(won.values()) == [False, True], won
    holder = next(name for name, ok in won.items() if ok)
    db.session.rollback()
    assert db.session.get(OutboxMessage, message_id, populate_existing=True).locked_by == holder

    assert not _take(message_id, "c", now + timedelta(seconds=299)), "the lease still holds"
    assert _take(message_id, "c", now + timedelta(seconds=301)), "a lease that ran out is free"


@pytest.mark.real_commits  # a second connection holds a row
@pytest.mark.skipif(dbsetup.postgres_url() is None, reason="FOR UPDATE SKIP LOCKED is PostgreSQL's")
def test_on_postgresql_pick_skips_a_row_another_worker_is_claiming(app):
    held, free = _pending_message(), _pending_message()
    due = (sa.select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
           .order_by(OutboxMessage.id))
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT id FROM outbox_messages WHERE id = :id FOR UPDATE"), {"id": held})
        assert queue.pick(due) == [free]
        db.session.rollback()
        other.rollback()
    assert queue.pick(due) == [held, free]


def test_a_looping_worker_outlives_a_pass_that_failed(app, caplog):
    passes: list[str] = []

    def one_pass() -> None:
        passes.append("pass")
        if len(passes) == 1:
            raise RuntimeError("database is locked")

    class Stop(Exception):
        pass

    def sleep(_seconds: float) -> None:
        if len(passes) == 3:
            raise Stop

    with pytest.raises(Stop):
        queue.run_passes(one_pass, loop=True, interval=1, sleep=sleep)
    assert passes == ["pass", "pass", "pass"]
    assert "A worker pass failed" in caplog.text

    with pytest.raises(RuntimeError):  # once, from cron: the failure is the command's
        queue.run_passes(lambda: (_ for _ in ()).throw(RuntimeError("once")), loop=False, interval=1)
