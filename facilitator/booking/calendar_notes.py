"""What the booking preview says about the dates themselves: Scottish bank holidays, and the rule a
monthly series follows (the same date, clamped to shorter months, or the same weekday)."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("GB", subdiv="SCT", years=year))


def bank_holiday(day: date) -> str | None:
    """The name of the Scottish bank holiday on ``day``, if it is one."""
    return _bank_holidays(day.year).get(day)


def is_bank_holiday(day: date) -> bool:
    return bank_holiday(day) is not None


def holiday_warnings(starts: list[datetime], is_series: bool) -> list[str]:
    """One warning per session that falls on a Scottish bank holiday."""
    warnings = []
    for start in starts:
        name = bank_holiday(start.date())
        if name:
            hint = (" Tick “Skip bank holidays in Scotland” (skip_holidays in the API) to leave it out "
                    "of the series." if is_series else "")
            warnings.append(f"{start:%A %-d %B %Y} is a bank holiday in Scotland ({name}).{hint}")
    return warnings


def skipped_notes(candidates: list[date], last: date) -> list[str]:
    """Say which dates up to ``last`` were left out as bank holidays, the series running on."""
    return [f"Skipped {day:%A %-d %B %Y} ({bank_holiday(day)}, a bank holiday in Scotland); the series "
            "runs on a date longer to keep its number of sessions."
            for day in candidates if day <= last and is_bank_holiday(day)]
