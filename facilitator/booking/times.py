"""Times of sessions and series: in the booking's zone, a series keeping its local time of day
across clock changes, months that are shorter than the day they start on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from facilitator.clock import as_local
from facilitator.models import MeetingSession
from facilitator.recurrence import SKIP_SPARE, local_moment, series_dates


def series_starts(first: datetime, every: str | None, count: int, zone: str, monthly_by: str = "date",
                  skip: Callable[[date], bool] | None = None) -> list[datetime]:
    """Starts of a series at the same local time of day: across a clock change the UTC time moves.
    Dates ``skip`` refuses are left out and the series runs on, so it keeps ``count`` sessions."""
    local = as_local(first, zone)
    days = series_dates(local.date(), every, count + (SKIP_SPARE if skip else 0), monthly_by)
    kept = [day for day in days if skip is None or not skip(day)][:count]
    return [local_moment(day, local.time(), zone) for day in kept]


def clock_change_warnings(starts: list[datetime], zone: str) -> list[str]:
    """Say where a series crosses a clock change, and where a wall-clock time does not exist."""
    warnings = []
    for before, after in zip(starts, starts[1:], strict=False):
        if before.utcoffset() != after.utcoffset():
            direction = "forward" if after.utcoffset() > before.utcoffset() else "back"
            warnings.append(
                f"This series crosses a clock change (the clocks go {direction} between "
                f"{before:%-d %B} and {after:%-d %B %Y}). Sessions stay at {after:%H:%M} {zone} time; "
                f"in UTC they move from {before.astimezone(UTC):%H:%M} to {after.astimezone(UTC):%H:%M}.")
    return warnings


def wall_clock_warning(day: date, at: time, zone: str) -> str | None:
    """Say when a wall-clock time is skipped (clocks forward) or repeated (clocks back) on ``day``,
    naming both moments it could mean and the one booked (see :func:`local_moment`)."""
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, at.replace(tzinfo=None))
    earlier, later = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if earlier.utcoffset() == later.utcoffset():
        return None
    moments = sorted({earlier.astimezone(UTC), later.astimezone(UTC)})
    both = " or ".join(f"{m.astimezone(tz):%H:%M %Z} ({m:%H:%M} UTC)" for m in moments)
    booked = local_moment(day, at, zone)
    skipped = booked.replace(tzinfo=None) != naive
    what = "does not exist" if skipped else "happens twice"
    direction = "forward" if skipped else "back"
    return (f"{at:%H:%M} {what} on {day:%-d %B %Y} in {zone} (the clocks go {direction}): it could mean "
            f"either {both}. This session is booked for {booked:%H:%M %Z} ({booked.astimezone(UTC):%H:%M} "
            "UTC); change the time if you meant the other.")


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Move:
    """A session's move, applied to later ones: as many days, to the same local time of day."""

    start: datetime
    days: timedelta
    at: time
    zone: str

    @classmethod
    def of(cls, session: MeetingSession, new_start: datetime) -> Move:
        zone = session.timezone
        old_local, new_local = as_local(session.starts_at, zone), as_local(new_start, zone)
        return cls(new_start.astimezone(UTC), new_local.date() - old_local.date(), new_local.time(), zone)

    def apply(self, target: MeetingSession, session: MeetingSession) -> datetime:
        if target is session:
            return self.start
        day = as_local(target.starts_at, self.zone).date() + self.days
        return local_moment(day, self.at, self.zone).astimezone(UTC)
