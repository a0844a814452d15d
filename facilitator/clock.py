"""The app's one clock: "now" in UTC, the configured zone and today's date in it.

``now_utc`` is the time the app's rules run on: bookings, invitations, join windows, registers,
reports, supervision due dates. The ``FROZEN_NOW`` setting pins it (tests and demos); outside an
app context, or with ``FROZEN_NOW`` empty, it is the machine's clock.

``system_now`` is the machine's clock always, for what is measured against the real world and
other systems: sign-in sessions and throttles, two-factor codes, reset links, the audit trail,
provider tokens' expiry, and the times rows were written. Times are stored in UTC; ``zone`` is
where they are entered and shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

# The days a filter or a booking may name: a day past these cannot be turned into an instant
# (9999-12-31 plus a day overflows), and no real report or session lies outside them.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
DAY_RANGE_MESSAGE = "Choose a date between 1 January 1900 and 31 December 2999."


def day_in_range(day: date | None) -> bool:
    return day is None or FIRST_DAY <= day <= LAST_DAY


def system_now() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


def now_in(config: Mapping[str, Any]) -> datetime:
    """The app's "now" given its config: ``FROZEN_NOW`` when set, else the machine's clock."""
    frozen = config.get("FROZEN_NOW")
    if not frozen:
        return system_now()
    value = datetime.fromisoformat(frozen) if isinstance(frozen, str) else frozen
    if value.tzinfo is None:
        raise ValueError("FROZEN_NOW must include a UTC offset")
    return value.astimezone(UTC)


def now_utc() -> datetime:
    """The current time in UTC, as the app sees it (see the module's docstring)."""
    return now_in(current_app.config) if has_app_context() else system_now()


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The configured ``TIMEZONE``, e.g. "Europe/London"."""
    return str(current_app.config["TIMEZONE"])


def zone() -> ZoneInfo:
    return _zone(zone_name())


def local_today() -> date:
    """Today's date in the configured zone."""
    return now_utc().astimezone(zone()).date()


def as_local(moment: datetime, zone_or_name: ZoneInfo | str | None = None) -> datetime:
    """``moment`` (aware) in the given zone, by default the configured one."""
    if zone_or_name is None:
        tz = zone()
    elif isinstance(zone_or_name, str):
        tz = _zone(zone_or_name)
    else:
        tz = zone_or_name
    return moment.astimezone(tz)


__all__ = ["as_local", "local_today", "now_in", "now_utc", "system_now", "zone", "zone_name"]
