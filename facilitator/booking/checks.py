"""The checks of a booking's fields, each adding what is wrong to ``errors`` under the API's
field name, so every problem is reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

from facilitator.models import User
from integrations.providers.link import validate_join_url

MIN_MINUTES, MAX_MINUTES = 15, 480
MAX_TITLE = 200
MAX_SERIES = 52
REPEATS = {"week": "every week", "fortnight": "every fortnight", "month": "every month"}
MONTHLY_BY = ("date", "weekday")
SCOPES = ("this", "following")
# How far back a session may be recorded, and how far ahead the first one may be booked.
MAX_PAST = timedelta(days=3660)
MAX_AHEAD = timedelta(days=731)


class ProviderCatalog(Protocol):
    """What booking needs to know about providers (``facilitator.providers.ProviderHub`` is one)."""

    def names(self) -> list[str]: ...
    def is_known(self, name: str) -> bool: ...
    def is_connected(self, name: str) -> bool: ...
    def label(self, name: str) -> str: ...
    def needs_join_url(self, name: str) -> bool: ...
    def host_for(self, name: str, users: Iterable[User | None]) -> str | None: ...



def check_title(title: str | None, errors: dict[str, str]) -> str:
    text = " ".join((title or "").split())
    if not text:
        errors["title"] = "Enter a title."
    elif len(text) > MAX_TITLE:
        errors["title"] = f"Use at most {MAX_TITLE} characters."
    return text


def check_duration(minutes: Any, errors: dict[str, str]) -> None:
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        errors["duration_minutes"] = f"Enter a length between {MIN_MINUTES} and {MAX_MINUTES} minutes."


def check_provider(provider: str, catalog: ProviderCatalog, errors: dict[str, str]) -> None:
    if not catalog.is_known(provider):
        errors["provider"] = f"Choose one of: {', '.join(catalog.names())}."
    elif not catalog.is_connected(provider):
        errors["provider"] = (f"{catalog.label(provider)} is not connected: an administrator needs to "
                              "add its keys. Choose another provider.")


def check_repeat(every: str | None, count: int | None, monthly_by: str, errors: dict[str, str]) -> int:
    if not every:
        return 1
    if every not in REPEATS:
        errors["repeat.every"] = f"Choose one of: {', '.join(REPEATS)}."
    if monthly_by not in MONTHLY_BY:
        errors["repeat.monthly_by"] = f"Choose one of: {', '.join(MONTHLY_BY)}."
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_SERIES:
        errors["repeat.count"] = f"Enter a number of sessions from 1 to {MAX_SERIES}."
        return 1
    return count


def check_join_url(url: str | None, provider: str, catalog: ProviderCatalog, all_past: bool,
                    errors: dict[str, str]) -> str | None:
    url = (url or "").strip() or None
    if "provider" in errors:
        return url
    if not catalog.needs_join_url(provider):
        if url:
            errors["join_url"] = (f"{catalog.label(provider)} makes its own join link; "
                                  "a link is only pasted for a meeting held elsewhere.")
        return None
    if url is None and all_past:
        return None  # a record of a meeting that already happened needs no link
    try:
        return validate_join_url(url or "")
    except ValueError as exc:
        errors["join_url"] = str(exc)
        return url


def check_scope(scope: str, errors: dict[str, str]) -> None:
    if scope not in SCOPES:
        errors["scope"] = "Choose “this” or “following”."


def check_start(starts_at: datetime | None, now: datetime, errors: dict[str, str]) -> bool:
    """A start with its zone, no further back than ``MAX_PAST`` nor ahead than ``MAX_AHEAD``;
    True when it can be used."""
    if starts_at is None:
        errors["starts_at"] = "Enter the date and the start time."
    elif starts_at.tzinfo is None:
        errors["starts_at"] = "Give the time zone of the start, or leave it out for local time."
    elif starts_at < now - MAX_PAST:
        errors["starts_at"] = "Sessions can be recorded up to ten years back."
    elif starts_at > now + MAX_AHEAD:
        errors["starts_at"] = "Sessions can be booked up to two years ahead."
    else:
        return True
    return False


def check_past(record_only: bool, past: list[bool], errors: dict[str, str]) -> None:
    """A date that has passed makes no meeting and no invitations, so it must be asked for."""
    if "starts_at" in errors or not past:
        return
    if any(past) and not record_only:
        errors["starts_at"] = ("This date has passed. To keep a record of a session that already "
                               "happened, choose “Record a past session (no meeting, no invitations)”.")
    elif record_only and not all(past):
        errors["record_only"] = ("Only sessions that already happened can be recorded; untick this "
                                 "to book sessions still to come.")
