"""Rounds side by side: a home's first and latest rating per domain, and grids of homes × domains.

The comparison rule is in one place, :func:`compare`: per domain, the first rating is the one from
the earliest round that rated it and the latest from the newest round that rated it (a round
still being filled in counts for the domains it has rated); there is a change only when the two
come from different rounds. The grids read every rating in one statement, so their statement
count does not grow with the number of homes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.journey.framework_data import GAP_RATINGS
from facilitator.models import Assessment, AssessmentRating, CareHome, Framework

UP, DOWN, SAME = "↑", "↓", "→"


@dataclass(slots=True)
class DomainProgress:
    """One domain's first and latest rating; ``change``, ``arrow`` and ``words`` (the arrow for a
    screen reader) are worked out once, as a grid shows thousands of them."""

    key: str
    first: int | None
    first_round: int | None
    latest: int | None
    latest_round: int | None
    change: int | None = field(init=False)
    arrow: str = field(init=False)
    words: str = field(init=False)

    def __post_init__(self) -> None:
        compared = (self.first is not None and self.latest is not None
                    and self.first_round != self.latest_round)
        self.change = self.latest - self.first if compared else None  # type: ignore[operator]
        self.arrow, self.words = _describe(self)

    @property
    def is_gap(self) -> bool:
        return self.latest in GAP_RATINGS


def _describe(p: DomainProgress) -> tuple[str, str]:
    if p.latest is None:
        return "", "not rated yet"
    if p.change is None:
        return "", "first rating"
    if p.change == 0:
        return SAME, f"no change from round {p.first_round}"
    if p.change > 0:
        return UP, f"up from {p.first} in round {p.first_round}"
    return DOWN, f"down from {p.first} in round {p.first_round}"


def compare(keys: Iterable[str], rounds: Iterable[tuple[int, dict[str, int | None]]]) -> list[DomainProgress]:
    """Per key (in order), first and latest rating over ``rounds`` given as (number, ratings)."""
    ordered = sorted(rounds, key=lambda r: r[0])
    result = []
    for key in keys:
        rated = [(number, ratings[key]) for number, ratings in ordered if ratings.get(key) is not None]
        first = rated[0] if rated else (None, None)
        latest = rated[-1] if rated else (None, None)
        result.append(DomainProgress(key, first[1], first[0], latest[1], latest[0]))
    return result


def home_progress(rounds: list[Assessment]) -> list[DomainProgress]:
    """A home's rounds compared, over the domains of its newest round's framework."""
    if not rounds:
        return []
    keys = rounds[-1].framework.domain_keys()
    return compare(keys, [(a.round, {r.domain_key: r.rating for r in a.ratings}) for a in rounds])


@dataclass(frozen=True)
class GridRow:
    home: CareHome
    cells: list[DomainProgress]


def progress_grid(homes: list[CareHome], framework: Framework) -> list[GridRow]:
    """Each home's progress over ``framework``'s domains, from one statement for all the homes.
    The ratings come in round order, so one pass keeps each home's first and latest per domain,
    by the rule of :func:`compare`."""
    query = (select(Assessment.home_id, Assessment.round, AssessmentRating.domain_key,
                    AssessmentRating.rating)
             .join(AssessmentRating, AssessmentRating.assessment_id == Assessment.id)
             .where(AssessmentRating.rating.is_not(None), Assessment.home_id.in_([h.id for h in homes]))
             .order_by(Assessment.round))
    first: dict[tuple[int, str], tuple[int, int]] = {}
    latest: dict[tuple[int, str], tuple[int, int]] = {}
    for home_id, number, key, rating in db.session.execute(query):
        first.setdefault((home_id, key), (number, rating))
        latest[(home_id, key)] = (number, rating)
    keys, none = framework.domain_keys(), (None, None)
    return [GridRow(h, [DomainProgress(k, f[1], f[0], last[1], last[0])
                        for k in keys
                        for f, last in [(first.get((h.id, k), none), latest.get((h.id, k), none))]])
            for h in homes]
