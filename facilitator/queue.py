"""The one pattern every worker follows: database rows as a queue, claimed with a lease.

The provider sync (``booking.sync``), the outbox (``invites.outbox``) and the attendance imports
(``attendance.worker``) all work the same way:

* **pick** the due rows, oldest first; on PostgreSQL ``FOR UPDATE SKIP LOCKED``, so concurrent
  workers pick different rows without waiting for each other;
* **take** each one with a conditional ``UPDATE … WHERE <still due and the lease is free>``
  whose row count says whether this worker won it (on SQLite, where the write lock already
  orders workers, that condition is the whole of it). A worker that dies leaves a lease that
  simply runs out;
* do the slow outside work with **no transaction open**, then record the outcome;
* after a failure wait a **backoff** that doubles per attempt up to a cap, with some jitter
  where many rows may fail together;
* count what happened in a **run report**, which the worker's command prints.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, or_, update
from sqlalchemy.orm import InstrumentedAttribute

from facilitator.extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """``base`` seconds after the first failure, doubling per attempt up to ``cap``; ``jitter``
    adds up to that share at random, so rows that failed together do not retry together."""

    base: float
    cap: float
    jitter: float = 0.0

    def delay(self, attempts: int) -> timedelta:
        seconds = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        if self.jitter:
            seconds *= random.uniform(1.0, 1.0 + self.jitter)
        return timedelta(seconds=seconds)

    @classmethod
    def from_config(cls, config: Any, base_key: str, cap_key: str, jitter: float = 0.0) -> Backoff:
        return cls(float(config[base_key]), float(config[cap_key]), jitter)


def lease_free(lease_column: InstrumentedAttribute[Any], now: datetime) -> Any:
    """Nobody holds the row: no lease, or one that ran out."""
    return or_(lease_column.is_(None), lease_column < now)


def pick(statement: Select[Any]) -> list[Any]:
    """The ids ``statement`` selects; on PostgreSQL rows other workers are claiming are skipped."""
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    return list(db.session.scalars(statement))


def take(model: type, row_id: Any, conditions: Iterable[Any], values: dict[str, Any]) -> bool:
    """Claim one row: ``UPDATE … SET values WHERE id = row_id AND conditions``. True if it was
    this worker's (the conditions still held); the caller commits."""
    won = db.session.execute(
        update(model).where(model.id == row_id, *conditions).values(**values)
        .execution_options(synchronize_session=False))
    return won.rowcount == 1


class RunReport:
    """What one pass of a worker did, counted by outcome, in the words its command prints.

    ``RunReport(("done", "synced"), ("retry", "to retry"))`` counts ``done`` and ``retry``; each
    count reads as an attribute (``report.done``). ``outcomes`` keeps each row's outcome by a
    reference, ``messages`` lines worth printing.
    """

    def __init__(self, *phrases: tuple[str, str]) -> None:
        self._phrases = dict(phrases)
        self.counts: dict[str, int] = dict.fromkeys(self._phrases, 0)
        self.outcomes: dict[str, str] = {}
        self.messages: list[str] = []

    def add(self, kind: str, *, ref: str | None = None, count: int = 1) -> None:
        if ref is not None:
            self.outcomes[ref] = kind
        if kind in self.counts:
            self.counts[kind] += count

    def __getattr__(self, kind: str) -> int:
        counts = self.__dict__.get("counts", {})
        if kind in counts:
            return counts[kind]
        raise AttributeError(kind)

    def __setattr__(self, name: str, value: Any) -> None:
        counts = self.__dict__.get("counts")
        if counts is not None and name in counts:
            counts[name] = value
        else:
            super().__setattr__(name, value)

    def summary(self) -> str:
        return ", ".join(f"{self.counts[kind]} {phrase}" for kind, phrase in self._phrases.items())

    __str__ = summary


def run_passes(one_pass: Callable[[], None], *, loop: bool, interval: float,
               sleep: Callable[[float], None] = time.sleep) -> None:
    """Run a worker's pass once or, with ``loop``, every ``interval`` seconds until stopped. A
    looping worker outlives a pass that failed (the database was busy, say): it says so and tries
    again at the next pass; what the pass had not finished is still in the queue."""
    while True:
        if not loop:
            one_pass()
            return
        try:
            one_pass()
        except Exception:  # noqa: BLE001 - the next pass retries; the worker must keep running
            db.session.rollback()
            db.session.remove()
            log.exception("A worker pass failed; trying again in %s s", interval)
        sleep(max(interval, 1))
