"""Today's date and the current time, in UTC and in the configured zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app

from facilitator.models.base import utcnow


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    return datetime.now(zone()).date()


def now_utc() -> datetime:
    """The current time in UTC; the ``FROZEN_NOW`` setting pins it (tests, demos)."""
    return now_in(current_app.config)


def now_in(config: Mapping[str, Any]) -> datetime:
    """:func:`now_utc` for code that runs outside an app context, given the app's config."""
    frozen = config.get("FROZEN_NOW")
    if not frozen:
        return utcnow()
    value = datetime.fromisoformat(frozen) if isinstance(frozen, str) else frozen
    if value.tzinfo is None:
        raise ValueError("FROZEN_NOW must include a UTC offset")
    return value.astimezone(UTC)


__all__ = ["local_today", "now_in", "now_utc", "utcnow", "zone"]
