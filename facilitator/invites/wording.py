"""Times in the words people read: "Tuesday 4 March, 10:00–11:30 (UK time)", "starts in 2 days"."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from facilitator.clock import zone_name as configured_zone
from facilitator.models import MeetingSession, SessionPlan


def zone_label(zone_name: str) -> str:
    """"UK time" for the configured zone, otherwise the zone's own name."""
    if zone_name == configured_zone():
        return str(current_app.config["TIMEZONE_LABEL"])
    return zone_name.replace("_", " ")


def _day(value: datetime, now: datetime) -> str:
    text = f"{value:%A} {value.day} {value:%B}"
    return text if value.year == now.year else f"{text} {value.year}"


def time_in_words(start: datetime, end: datetime, zone_name: str, now: datetime) -> str:
    """``Tuesday 4 March, 10:00–11:30 (UK time)``; the year only when it is not this year."""
    zone = ZoneInfo(zone_name)
    local_start, local_end, local_now = start.astimezone(zone), end.astimezone(zone), now.astimezone(zone)
    label = zone_label(zone_name)
    if local_start.date() == local_end.date():
        return f"{_day(local_start, local_now)}, {local_start:%H:%M}–{local_end:%H:%M} ({label})"
    return (f"{_day(local_start, local_now)}, {local_start:%H:%M} – "
            f"{_day(local_end, local_now)}, {local_end:%H:%M} ({label})")


def short_when(session: MeetingSession, now: datetime) -> str:
    """``Tuesday 4 March at 10:00``: for subject lines (plain ASCII folds cleanly)."""
    local = session.starts_at.astimezone(ZoneInfo(session.timezone))
    return f"{_day(local, now.astimezone(local.tzinfo))} at {local:%H:%M}"


def session_time(session: MeetingSession, now: datetime) -> str:
    return time_in_words(session.starts_at, session.ends_at, session.timezone, now)


def local_clock(value: datetime, zone_name: str) -> str:
    return f"{value.astimezone(ZoneInfo(zone_name)):%H:%M}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def duration_words(delta: timedelta) -> str:
    """Roughly how long: "2 days", "3 hours and 5 minutes", "10 minutes", "less than a minute"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days >= 2:
        return _plural(days, "day")
    if days == 1:
        return f"1 day and {_plural(hours, 'hour')}" if hours else "1 day"
    if hours and minutes:
        return f"{_plural(hours, 'hour')} and {_plural(minutes, 'minute')}"
    if hours:
        return _plural(hours, "hour")
    return _plural(minutes, "minute")


def starts_in(session: MeetingSession, now: datetime) -> str:
    if now < session.starts_at:
        return f"Starts in {duration_words(session.starts_at - now)}"
    if now < session.ends_at:
        return f"Started {duration_words(now - session.starts_at)} ago"
    return "This session has ended"


def reminder_phrase(offsets_minutes: list[int]) -> str:
    """``[1440, 60]`` → "1 day and 1 hour before each session"."""
    parts = [duration_words(timedelta(minutes=m)) for m in offsets_minutes]
    if not parts:
        return "never"
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{joined} before each session"


def plan_lines(plan: SessionPlan | None) -> list[str]:
    """A plan in words, for a calendar event's DESCRIPTION (plain text; the ical builder escapes it)."""
    if plan is None or plan.is_empty:
        return []
    lines = [f"Plan for this session: {plan.theme}"] if plan.theme else []
    lines += [f"Agenda:\n{plan.agenda}"] if plan.agenda else []
    if plan.resources:
        lines += ["Resources:"] + [f"- {r.title}: {r.url}" for r in plan.resources]
    return lines
