"""Jinja filters: times shown in the configured zone, in words people read."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from facilitator.clock import as_local
from facilitator.forms import form_problems


def local_time(value: datetime | None) -> datetime | None:
    return as_local(value) if value is not None else None


def format_datetime(value: datetime | None) -> str:
    local = local_time(value)
    return local.strftime("%A %-d %B %Y, %H:%M") if local else ""


def format_date(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def format_hours(value: float | None) -> str:
    """``2.0`` → "2 hours", ``1`` → "1 hour", ``1.5`` → "1.5 hours"."""
    number = float(value or 0)
    shown = f"{number:g}"
    return f"{shown} hour" if number == 1 else f"{shown} hours"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.globals["form_problems"] = form_problems
    app.jinja_env.filters["date"] = format_date
    app.jinja_env.filters["localtime"] = local_time
    app.jinja_env.filters["hours"] = format_hours
