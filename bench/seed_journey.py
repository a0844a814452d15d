"""The bench's self-assessment data (issue 16): the default framework and three rounds per home,
each rating every domain, written with bulk inserts like the rest of ``bench/seed.py``."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from facilitator.journey.framework_data import DEFAULT_FRAMEWORK, PRINCIPLES, SCALE
from facilitator.models import Assessment, AssessmentRating, Framework, FrameworkDomain

ROUNDS_PER_HOME = 3


def seed_assessments(insert: Callable[[Any, list[dict[str, Any]]], None], take: Callable[[Any], int],
                     home_ids: list[int], rng: random.Random, now: datetime) -> None:
    framework_id = take(Framework.__table__)
    insert(Framework, [{"id": framework_id, "name": DEFAULT_FRAMEWORK.name,
                        "version": DEFAULT_FRAMEWORK.version, "scale": [list(s) for s in SCALE],
                        "principles": list(PRINCIPLES), "published_at": now}])
    insert(FrameworkDomain, [
        {"id": take(FrameworkDomain.__table__), "framework_id": framework_id, "position": n, "key": d.key,
         "title": d.title, "prompts": list(d.prompts), "key_question": d.key_question}
        for n, d in enumerate(DEFAULT_FRAMEWORK.domains, start=1)])
    rounds, ratings = [], []
    first = date(now.year - 1, now.month, 1)
    for home_id in home_ids:
        level = {d.key: rng.randint(1, 3) for d in DEFAULT_FRAMEWORK.domains}
        for number in range(1, ROUNDS_PER_HOME + 1):
            started = first + timedelta(days=182 * (number - 1))
            round_id = take(Assessment.__table__)
            rounds.append({"id": round_id, "home_id": home_id, "framework_id": framework_id, "round": number,
                           "started_on": started, "completed_on": started + timedelta(days=7),
                           "source": "online" if number % 2 else "paper", "created_at": now})
            for key in level:
                level[key] = max(1, min(4, level[key] + rng.choice((-1, 0, 1, 1))))
                ratings.append({"id": take(AssessmentRating.__table__), "assessment_id": round_id,
                                "domain_key": key, "rating": level[key], "evidence": "", "source": "online",
                                "changed_at": now})
    insert(Assessment, rounds)
    insert(AssessmentRating, ratings)
