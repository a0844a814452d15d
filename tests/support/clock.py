"""A clock for the provider clients' tests: it moves only when told to, or when something sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeTime:
    """Stands in for ``time.sleep`` and the clock: sleeping moves the clock, nobody waits."""

    START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def clock(self) -> datetime:
        return self.now
