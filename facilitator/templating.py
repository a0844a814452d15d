"""Jinja filters: times shown in the configured zone, in words people read."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def local_time(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def format_datetime(value: datetime | None) -> str:
    local = local_time(value)
    return local.strftime("%A %-d %B %Y, %H:%M") if local else ""


def format_date(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["localtime"] = local_time
