"""The bench's journey data (issue 16), written with bulk inserts like the rest of ``bench/seed.py``:
the default framework and three rounds per home, each rating every domain; ten actions per home
(a mix of statuses, some overdue, owned by one of the home's contacts, by a role or by nobody);
and one home page link (``/h/<token>``) of the first home's first contact, whose third round is
still being filled in (half its domains rated), so the measured assessment page shows an open round.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from facilitator.invites.tokens import new_token, token_hash
from facilitator.journey.framework_data import DEFAULT_FRAMEWORK, PRINCIPLES, SCALE
from facilitator.models import (
    Assessment,
    AssessmentRating,
    ContactToken,
    Framework,
    FrameworkDomain,
    HomeAction,
    LinkKind,
)

ROUNDS_PER_HOME = 3
ACTIONS_PER_HOME = 10
# Ten actions of a home: (status, due in days from today or None). Three open ones are overdue.
ACTION_PLAN = (("done", -60), ("done", -20), ("dropped", None), ("in_progress", -14),
               ("in_progress", 10), ("in_progress", 45), ("not_started", -3), ("not_started", -30),
               ("not_started", 90), ("not_started", None))
ACTION_TITLES = ("Name a trauma-informed champion", "Make a quiet room", "Share the toolkit with night staff",
                 "Add reflective practice to handovers", "Review the restraint policy",
                 "Ask residents about their routines", "Plan protected time for the team",
                 "Walk the building with a resident", "Talk incidents through as a team",
                 "Train new starters")
OWNER_ROLES = ("manager", "team_leader")

Insert = Callable[[Any, list[dict[str, Any]]], None]
Take = Callable[[Any], int]


def seed_journey(insert: Insert, take: Take, homes: list[dict[str, Any]],
                 contacts: dict[int, list[dict[str, Any]]], rng: random.Random, now: datetime,
                 today: date) -> str:
    """Rounds and actions for every home; returns the raw home page link of the first home's
    first contact (its last round left open)."""
    home_ids = [h["id"] for h in homes]
    seed_assessments(insert, take, home_ids, rng, now, open_for=home_ids[:1])
    seed_actions(insert, take, home_ids, contacts, now, today)
    return home_link(insert, take, contacts[home_ids[0]][0]["id"], now)


def seed_assessments(insert: Insert, take: Take, home_ids: list[int], rng: random.Random, now: datetime,
                     open_for: list[int] | None = None) -> None:
    """Three rounds per home; a home in ``open_for`` has its last round open, half rated."""
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
    left_open = set(open_for or ())
    for home_id in home_ids:
        level = {d.key: rng.randint(1, 3) for d in DEFAULT_FRAMEWORK.domains}
        for number in range(1, ROUNDS_PER_HOME + 1):
            started = first + timedelta(days=182 * (number - 1))
            is_open = home_id in left_open and number == ROUNDS_PER_HOME
            round_id = take(Assessment.__table__)
            completed = None if is_open else started + timedelta(days=7)
            rounds.append({"id": round_id, "home_id": home_id, "framework_id": framework_id, "round": number,
                           "started_on": started, "completed_on": completed,
                           "source": "online" if number % 2 else "paper", "created_at": now})
            keys = list(level)[:len(level) // 2] if is_open else list(level)
            for key in keys:
                level[key] = max(1, min(4, level[key] + rng.choice((-1, 0, 1, 1))))
                ratings.append({"id": take(AssessmentRating.__table__), "assessment_id": round_id,
                                "domain_key": key, "rating": level[key], "evidence": "", "source": "online",
                                "changed_at": now})
    insert(Assessment, rounds)
    insert(AssessmentRating, ratings)


def seed_actions(insert: Insert, take: Take, home_ids: list[int], contacts: dict[int, list[dict[str, Any]]],
                 now: datetime, today: date) -> None:
    """``ACTION_PLAN`` for every home, each action in a domain, owners taking turns: the home's
    contacts, a role, nobody."""
    domains = [d.key for d in DEFAULT_FRAMEWORK.domains]
    rows = []
    for n, home_id in enumerate(home_ids):
        people = contacts[home_id]
        for i, (status, due_in) in enumerate(ACTION_PLAN):
            turn = (n + i) % (len(people) + 2)
            owner = people[turn]["id"] if turn < len(people) else None
            due = today + timedelta(days=due_in) if due_in is not None else None
            rows.append({"id": take(HomeAction.__table__), "home_id": home_id, "title": ACTION_TITLES[i],
                         "domain_key": domains[(n + i) % len(domains)], "owner_contact_id": owner,
                         "owner_role": OWNER_ROLES[n % 2] if turn == len(people) else None,
                         "due_on": due, "status": status, "protected_hours": 2.0 if i % 3 == 0 else None,
                         "note": "", "created_at": now - timedelta(days=90), "updated_at": now,
                         "done_on": (due or today) if status == "done" else None})
    insert(HomeAction, rows)


def home_link(insert: Insert, take: Take, contact_id: int, now: datetime) -> str:
    """A contact's home page link (``/h/<token>``), minted ten days ago; the raw token."""
    token = new_token()
    insert(ContactToken, [{"id": take(ContactToken.__table__), "token_hash": token_hash(token),
                           "contact_id": contact_id, "kind": LinkKind.HOME.value,
                           "created_at": now - timedelta(days=10), "last_used_at": None}])
    return token
