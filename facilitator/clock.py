"""Today's date and the current time, in UTC and in the configured zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from facilitator.models.base import utcnow


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_today() -> date:
    return datetime.now(zone()).date()


__all__ = ["local_today", "utcnow", "zone"]
