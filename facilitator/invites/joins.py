"""The join window: when a session's link opens and where it leads; the order and state of a home
page's coming sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app

from facilitator.invites.wording import session_time, starts_in
from facilitator.models import MeetingSession, SessionStatus


def safe_join_url(url: str | None) -> str | None:
    """The stored meeting URL if it is an absolute http(s) URL; nothing else is ever redirected to."""
    if not url or any(ch in url for ch in "\r\n\t ") or "\\" in url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return None
    return url


@dataclass(frozen=True)
class JoinState:
    """Where a session stands for someone opening its link at ``now``."""

    cancelled: bool
    window_opens: datetime
    open: bool
    ended: bool
    target: str | None

    @property
    def redirects(self) -> bool:
        return self.open and self.target is not None


def join_opens(session: MeetingSession) -> datetime:
    """When the session's join window opens: ``JOIN_WINDOW_MINUTES`` before its start. The
    window (from then until the end) is the session's time on the provider too."""
    return session.starts_at - timedelta(minutes=int(current_app.config["JOIN_WINDOW_MINUTES"]))


def join_state(session: MeetingSession, now: datetime) -> JoinState:
    opens = join_opens(session)
    cancelled = session.status != SessionStatus.SCHEDULED
    is_open = not cancelled and opens <= now < session.ends_at
    return JoinState(cancelled=cancelled, window_opens=opens, open=is_open, ended=now >= session.ends_at,
                     target=safe_join_url(session.join_url))


@dataclass(frozen=True)
class ComingSession:
    """One session on a home's page: ``live`` while its join window is open (the one to join now,
    listed first, with ``badge`` "Live now" or "Starts in 5 minutes"); ``primary`` for the first of
    those, the page's one main button."""

    session: MeetingSession
    when: str
    starts: str
    live: bool
    primary: bool

    @property
    def badge(self) -> str:
        return "Live now" if self.starts.startswith("Started") else self.starts


def coming_sessions(sessions: list[MeetingSession], now: datetime) -> list[ComingSession]:
    """Sessions not yet ended, those in their join window first (soonest first within each part)."""
    coming = [s for s in sessions if s.ends_at > now]
    live = {s.id for s in coming if join_state(s, now).open}
    ordered = sorted(coming, key=lambda s: (s.id not in live, s.starts_at))
    first_live = next((s.id for s in ordered if s.id in live), None)
    return [ComingSession(s, session_time(s, now), starts_in(s, now), s.id in live, s.id == first_live)
            for s in ordered]


def series_occurrence(sessions: list[MeetingSession], now: datetime) -> MeetingSession | None:
    """What a series link opens: the occurrence whose join window is open, else the next one,
    else (the series is over) the last one."""
    coming = [s for s in sessions if s.ends_at > now]
    live = [s for s in coming if join_state(s, now).open]
    return next(iter(live or coming or sessions[-1:]), None)
