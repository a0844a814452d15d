"""One owner of a request's transaction: the unit of work.

Services change the database session (they flush, never commit) and register the slow outside
work a change calls for as an **after-commit job**: push a session to its provider, run an
attendance import. At the end of the request this module commits once, when the response
succeeded (below 400), and only then runs the jobs, each with no transaction open; a request
that failed (an error page, a refused form) is rolled back and its jobs are dropped. So a
booking is never sent to a provider unless it was saved, and a provider is never called while a
transaction is open.

A view whose answer shows the outcome of its jobs (the API returning the synced session, the
Import button's summary) calls :func:`commit` itself; the end of the request then has nothing
left to do. A refusal that must be kept although the request fails (the audit row of a denied
read, a wrong sign-in code) says so with :func:`keep_on_error`. Commands and workers, which have
no request, call :func:`commit` when their work is done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from flask import Flask, Response, g, has_app_context, session
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from facilitator.database import write_best_effort
from facilitator.extensions import db

log = logging.getLogger(__name__)

JOBS = "facilitator.after_commit"
FINISHED = "transaction_finished"
KEEP = "transaction_keep_on_error"
COMMITTED = "transaction_committed"
HOUSEKEEPING = "transaction_housekeeping"


@dataclass
class Job:
    """Work to do once the transaction that asked for it has committed."""

    work: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    done: bool = False

    def run(self) -> None:
        try:
            self.result = self.work(*self.args, **self.kwargs)
        except Exception:  # noqa: BLE001 - a job must never undo or fail the committed request
            db.session.rollback()
            log.exception("After-commit job %s failed", getattr(self.work, "__name__", self.work))
        finally:
            self.done = True


def after_commit(work: Callable[..., Any], *args: Any, **kwargs: Any) -> Job:
    """Run ``work(*args, **kwargs)`` once the current transaction commits (never if it rolls back)."""
    job = Job(work, args, kwargs)
    db.session.info.setdefault(JOBS, []).append(job)
    return job


def commit() -> None:
    """Commit the work so far, then run its after-commit jobs in order."""
    db.session.commit()
    if has_app_context():
        g.setdefault(COMMITTED, True)
    while jobs := db.session.info.pop(JOBS, []):
        for job in jobs:
            job.run()


def rollback() -> None:
    """Discard the work so far and its jobs (a refused change: show what is stored)."""
    db.session.rollback()
    db.session.info.pop(JOBS, None)


def abandon() -> None:
    """The request's work did not happen: roll it back, and drop the "Saved" it flashed."""
    rollback()
    session.pop("_flashes", None)


def committed_earlier() -> bool:
    """Whether this request (or command) already committed some of its work."""
    return bool(g.get(COMMITTED))


def keep_on_error() -> None:
    """Commit this request's writes although it answers with an error status."""
    g.setdefault(KEEP, True)


def housekeeping(work: Callable[[], None]) -> None:
    """Run ``work`` once the request's transaction has ended, whatever its outcome.

    For writes that are not part of the request's work (a sign-in session's "last seen"): they
    use a connection of their own (``database.write_best_effort``), so a read-only page never
    writes in its own transaction, and losing one to a busy database is harmless."""
    g.setdefault(HOUSEKEEPING, []).append(work)


LAST_USED_EVERY = timedelta(hours=1)


def note_last_used(row: Any, now: datetime) -> None:
    """Stamp ``row.last_used_at`` after the request, at most once an hour per row.

    The one rule for every token's "last used" (a home's link, an API token): kept coarse so a
    busy link or script does not write on every request, and best effort so it never holds up
    or fails the answer."""
    if row.last_used_at is not None and now - row.last_used_at <= LAST_USED_EVERY:
        return
    model = type(row)
    housekeeping(partial(write_best_effort, update(model).where(model.id == row.id).values(last_used_at=now)))


def finish(response: Response) -> Response:
    """``after_request``: commit a request that succeeded and run its jobs; roll back any other."""
    if g.get(FINISHED):
        return response
    g.setdefault(FINISHED, True)
    try:
        if response.status_code >= 400 and not g.get(KEEP):
            rollback()
        else:
            try:
                commit()
            except Exception:
                abandon()  # "Saved" must not show on the next page
                raise  # the error handlers answer (503 or 500): nothing claims to be saved
    finally:
        _run_housekeeping()
    return response


def _run_housekeeping() -> None:
    for work in g.pop(HOUSEKEEPING, []):
        try:
            work()
        except Exception:  # noqa: BLE001 - housekeeping never fails a request
            log.warning("Housekeeping after the request failed", exc_info=True)


def _drop_jobs_on_rollback(session: Session, previous_transaction: Any) -> None:
    """Whoever rolls back the session's transaction (not just a savepoint in it) drops its jobs."""
    if previous_transaction.parent is None:
        session.info.pop(JOBS, None)


def init_app(app: Flask) -> None:
    app.after_request(finish)
    if not event.contains(Session, "after_soft_rollback", _drop_jobs_on_rollback):
        event.listen(Session, "after_soft_rollback", _drop_jobs_on_rollback)
