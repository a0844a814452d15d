"""Rounds side by side: a home's first and latest rating per domain, and grids of homes × domains.

The comparison rule is in one place, :func:`compare`: per domain, the first rating is the one from
the earliest round that rated it and the latest from the newest round that rated it (a round
still being filled in counts for the domains it has rated); there is a change only when the two
come from different rounds. The grids read every rating in one statement, so their statement
count does not grow with the number of homes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from facilitator.extensions import db
from facilitator.journey.framework_data import GAP_RATINGS
from facilitator.models import Assessment, AssessmentRating, CareHome, Framework

UP, DOWN, SAME = "↑", "↓", "→"


@dataclass(frozen=True)
class DomainProgress:
    key: str
    first: int | None
    first_round: int | None
    latest: int | None
    latest_round: int | None

    @property
    def change(self) -> int | None:
        if self.first is None or self.latest is None or self.first_round == self.latest_round:
            return None
        return self.latest - self.first

    @property
    def arrow(self) -> str:
        if self.change is None:
            return ""
        return UP if self.change > 0 else DOWN if self.change < 0 else SAME

    @property
    def words(self) -> str:
        """The arrow for a screen reader."""
        if self.latest is None:
            return "not rated yet"
        if self.change is None:
            return "first rating"
        if self.change == 0:
            return f"no change from round {self.first_round}"
        way = "up" if self.change > 0 else "down"
        return f"{way} from {self.first} in round {self.first_round}"

    @property
    def is_gap(self) -> bool:
        return self.latest in GAP_RATINGS


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


def progress_grid(homes: list[CareHome], framework: Framework, every_home: bool = False) -> list[GridRow]:
    """Each home's progress over ``framework``'s domains, from one statement for all the homes
    (``every_home``: the homes are all there are, so the statement needs no list of ids)."""
    by_home: dict[int, dict[int, dict[str, int | None]]] = defaultdict(lambda: defaultdict(dict))
    query = (select(Assessment.home_id, Assessment.round, AssessmentRating.domain_key,
                    AssessmentRating.rating)
             .join(AssessmentRating, AssessmentRating.assessment_id == Assessment.id)
             .where(AssessmentRating.rating.is_not(None)))
    if not every_home:
        query = query.where(Assessment.home_id.in_([h.id for h in homes]))
    rows = db.session.execute(query)
    for home_id, number, key, rating in rows:
        by_home[home_id][number][key] = rating
    keys = framework.domain_keys()
    return [GridRow(h, compare(keys, by_home.get(h.id, {}).items())) for h in homes]
