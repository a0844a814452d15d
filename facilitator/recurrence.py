"""Dates of a repeating series and how its monthly rule reads, as pure date arithmetic.

Below booking and invites alike: booking plans a series with it, and the series' calendar
messages (``invites.series``) expand and describe the same rule, so both read one definition.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
SKIP_SPARE = 12  # dates beyond the count to draw on when some are skipped (bank holidays: a few a year)


def local_moment(day: date, at: time, zone: str) -> datetime:
    """``day`` at wall-clock ``at`` in ``zone``. A time skipped by the clocks going forward
    comes out an hour later (what a clock on the wall would show then)."""
    tz = ZoneInfo(zone)
    naive = datetime.combine(day, at.replace(tzinfo=None))
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def add_months(day: date, months: int) -> date:
    """The same day of the month ``months`` later, or the month's last day if it is shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def week_of_month(day: date) -> int:
    """Which of its weekday in the month ``day`` is: 1 to 4, or -1 for a fifth (always the last)."""
    n = (day.day - 1) // 7 + 1
    return -1 if n == 5 else n


def same_weekday(first: date, months: int) -> date:
    """The month ``months`` after ``first``'s, on the same weekday of the month as ``first``
    (the second Tuesday, or the last Tuesday when ``first`` is a fifth one)."""
    month_start = add_months(first.replace(day=1), months)
    n = week_of_month(first)
    if n == -1:
        last = month_start.replace(day=calendar.monthrange(month_start.year, month_start.month)[1])
        return last - timedelta(days=(last.weekday() - first.weekday()) % 7)
    return month_start + timedelta(days=(first.weekday() - month_start.weekday()) % 7 + 7 * (n - 1))


def series_dates(first: date, every: str | None, count: int, monthly_by: str = "date") -> list[date]:
    """The dates of a series; a monthly one on the same date (clamped to shorter months) or,
    with ``monthly_by="weekday"``, on the same weekday of the month."""
    if not every or count <= 1:
        return [first]
    if every == "month":
        step = same_weekday if monthly_by == "weekday" else add_months
        return [step(first, i) for i in range(count)]
    step = 7 if every == "week" else 14
    return [first + timedelta(days=step * i) for i in range(count)]


def monthly_rule(starts: list[datetime], monthly_by: str) -> str:
    """How a monthly series picks its dates, naming every date moved to a shorter month's end."""
    first = starts[0].date()
    if monthly_by == "weekday":
        return (f"Every month on the same weekday: the {ORDINALS[week_of_month(first)]} "
                f"{first:%A} of each month.")
    moved = [s.date() for s in starts if s.date().day != first.day]
    text = f"Every month on the same date: the {_ordinal(first.day)}."
    if moved:
        text += (" Months without that date use their last day: "
                 + ", ".join(f"{day:%-d %B %Y}" for day in moved) + ".")
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
