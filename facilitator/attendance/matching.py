"""From a provider's raw attendance rows to people, homes and register figures. No database here.

A provider gives one row per join (Zoom makes a new row each time someone rejoins; Teams gives
the intervals of one record). :func:`merge_people` joins the rows of one person,
:func:`match_person` finds the person's home, and :func:`home_figures` turns the people of one
home into minutes, a head count and a status.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from facilitator.models.attendance import AttendanceStatus, IgnoredAs
from integrations.providers.base import Participant

Interval = tuple[datetime, datetime]

_WORDS = re.compile(r"[^\W_]+")
# Words a home's name often ends with that people leave out of their Zoom name.
GENERIC_ENDINGS = ("care home", "nursing home", "residential home", "care centre", "care center", "care")
MIN_SHORT_NAME = 4


def normalise(text: str | None) -> str:
    """Lower case, accents off, punctuation and repeated spaces gone: "Tàigh-na-Mara " → "taigh na mara"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORDS.findall(plain.casefold()))


def normalise_email(email: str | None) -> str | None:
    value = (email or "").strip().lower()
    return value or None


@dataclass
class Person:
    """Everything the provider saw of one person in one meeting."""

    key: str  # stable across imports: "id:…", "email:…" or "name:…"
    name: str
    email: str | None
    intervals: list[Interval] = field(default_factory=list)

    @property
    def first_joined_at(self) -> datetime | None:
        return min((start for start, _ in self.intervals), default=None)

    @property
    def seconds(self) -> float:
        return sum((end - start).total_seconds() for start, end in self.intervals)


def merge_people(rows: Iterable[Participant], close_open_at: datetime) -> list[Person]:
    """Join rows sharing a provider user id or an email (a rejoin has a new per-join id but the
    same person id or email). Rows with neither (phone guests) are joined by display name.
    An interval still open is closed at ``close_open_at``. Each person's intervals are merged so
    overlaps count once."""
    rows = list(rows)
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        for token in _identity_tokens(row):
            if token in first_seen:
                parent[find(index)] = find(first_seen[token])
            else:
                first_seen[token] = index
    groups: dict[int, list[Participant]] = {}
    for index, row in enumerate(rows):
        groups.setdefault(find(index), []).append(row)
    return [_person(members, close_open_at) for members in groups.values()]


def _identity_tokens(row: Participant) -> list[str]:
    tokens = []
    if row.provider_user_key:
        tokens.append(f"id:{row.provider_user_key}")
    email = normalise_email(row.email)
    if email:
        tokens.append(f"email:{email}")
    if not tokens:
        tokens.append(f"name:{normalise(row.name) or 'unnamed'}")
    return tokens


def _person(rows: list[Participant], close_open_at: datetime) -> Person:
    keys = sorted({r.provider_user_key for r in rows if r.provider_user_key})
    email = next((normalise_email(r.email) for r in rows if normalise_email(r.email)), None)
    name = next((r.name.strip() for r in rows if r.name and r.name.strip()), "")
    if keys:
        key = f"id:{keys[0]}"
    elif email:
        key = f"email:{email}"
    else:
        key = f"name:{normalise(name) or 'unnamed'}"
    raw = [(i.joined_at, i.left_at or max(close_open_at, i.joined_at)) for r in rows for i in r.intervals]
    return Person(key=key[:300], name=name[:200], email=email, intervals=union(raw))


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals merged into one."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end < start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clipped_seconds(intervals: Iterable[Interval], start: datetime, end: datetime) -> float:
    total = 0.0
    for a, b in union(intervals):
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total


# Matching a person to a home ------------------------------------------------------------------

@dataclass(frozen=True)
class ContactRef:
    home_id: int
    contact_id: int
    role: str


@dataclass(frozen=True)
class AliasRef:
    home_id: int | None
    ignored_as: str | None


@dataclass(frozen=True)
class MatchContext:
    """What matching needs to know about one session's group."""

    member_home_ids: frozenset[int]
    home_names: Mapping[int, str]  # the member homes' names as people wrote them
    contacts_by_email: Mapping[str, Sequence[ContactRef]]  # contacts of member homes
    aliases: Mapping[tuple[str, str], AliasRef]  # (kind, normalised value) → what was taught
    staff_emails: frozenset[str]  # facilitators, leads…: never a home


@dataclass(frozen=True)
class Match:
    home_id: int | None = None
    contact_id: int | None = None
    matched_by: str | None = None  # email, alias, name, staff, manual
    ignored_as: str | None = None

    @property
    def is_unmatched(self) -> bool:
        return self.home_id is None and self.ignored_as is None


def alias_value(kind: str, raw: str | None) -> str | None:
    value = normalise_email(raw) if kind == "email" else normalise(raw)
    return value[:254] if value else None


def match_person(person: Person, ctx: MatchContext) -> Match:
    """Contact email → a taught alias (email, then name) → a staff member's email (ignored) →
    the home's name inside the display name → unmatched."""
    email = normalise_email(person.email)
    if email:
        found = ctx.contacts_by_email.get(email, ())
        refs = {r.home_id: r for r in found if r.home_id in ctx.member_home_ids}
        if len(refs) == 1:
            ref = next(iter(refs.values()))
            return Match(home_id=ref.home_id, contact_id=ref.contact_id, matched_by="email")
    for kind, raw in (("email", email), ("name", person.name)):
        value = alias_value(kind, raw)
        alias = ctx.aliases.get((kind, value)) if value else None
        if alias is None:
            continue
        if alias.ignored_as:
            return Match(matched_by="alias", ignored_as=alias.ignored_as)
        if alias.home_id in ctx.member_home_ids:
            return Match(home_id=alias.home_id, matched_by="alias")
    if email and email in ctx.staff_emails:
        return Match(matched_by="staff", ignored_as=IgnoredAs.FACILITATOR.value)
    home_id = home_named_in(person.name, ctx.home_names)
    if home_id is not None:
        return Match(home_id=home_id, matched_by="name")
    return Match()


def home_named_in(display_name: str, home_names: Mapping[int, str]) -> int | None:
    """The home whose name (or its name without "Care Home" and the like) is inside the display
    name, as whole words. The longest such name wins; a tie between homes is no match."""
    text = f" {normalise(display_name)} "
    if not text.strip():
        return None
    best: dict[int, int] = {}
    for home_id, name in home_names.items():
        for candidate in _name_forms(name):
            if f" {candidate} " in text:
                best[home_id] = max(best.get(home_id, 0), len(candidate))
    if not best:
        return None
    longest = max(best.values())
    winners = [home_id for home_id, length in best.items() if length == longest]
    return winners[0] if len(winners) == 1 else None


def _name_forms(name: str) -> list[str]:
    full = normalise(name)
    forms = [full] if full else []
    for ending in GENERIC_ENDINGS:
        if full.endswith(f" {ending}"):
            short = full[: -len(ending) - 1].strip()
            if len(short) >= MIN_SHORT_NAME:
                forms.append(short)
            break
    return forms


# A home's figures ------------------------------------------------------------------------------

SENIOR_ROLES = frozenset({"manager", "team_leader", "senior_manager"})


@dataclass(frozen=True)
class Rules:
    present_share: float = 0.5
    late_after: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class HomeFigures:
    minutes: int
    people: int
    first_joined_at: datetime | None
    status: str
    senior_present: bool | None


def home_figures(people: Sequence[Person], roles: Sequence[str | None], starts_at: datetime,
                 ends_at: datetime, rules: Rules) -> HomeFigures:
    """Minutes inside the scheduled time (overlaps between people counted once), distinct
    people, and a status: at least ``present_share`` of the meeting → present (late when the
    home first joined more than ``late_after`` after the start); less → left early; nobody →
    absent. ``roles`` are the matched contacts' roles (None where the person is no contact)."""
    intervals = [interval for person in people for interval in person.intervals]
    seconds = clipped_seconds(intervals, starts_at, ends_at)
    first = min((p.first_joined_at for p in people if p.first_joined_at), default=None)
    known = [r for r in roles if r]
    senior = any(r in SENIOR_ROLES for r in known) if known else None
    if not people or first is None:
        return HomeFigures(0, 0, None, AttendanceStatus.ABSENT.value, senior)
    scheduled = max((ends_at - starts_at).total_seconds(), 1.0)
    if seconds / scheduled >= rules.present_share:
        late = first > starts_at + rules.late_after
        status = AttendanceStatus.LATE if late else AttendanceStatus.PRESENT
    else:
        status = AttendanceStatus.LEFT_EARLY
    return HomeFigures(round(seconds / 60), len(people), first, status.value, senior)
