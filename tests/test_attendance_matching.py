"""The pure rules of an import: merging a person's rows, matching people to homes, a home's figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from facilitator.attendance.matching import (
    AliasRef,
    ContactRef,
    MatchContext,
    Person,
    Rules,
    home_figures,
    home_named_in,
    match_person,
    merge_people,
    normalise,
    union,
)
from integrations.providers.base import AttendanceInterval, Participant

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def row(name: str, email: str | None, key: str | None, start: float, end: float | None) -> Participant:
    left = at(end) if end is not None else None
    return Participant(name, email, key, [AttendanceInterval(at(start), left)])


@pytest.mark.parametrize(("raw", "expected"), [
    ("Taigh na Màra", "taigh na mara"),
    ("  TAIGH-NA-MARA  iPad ", "taigh na mara ipad"),
    ("Zoë O'Brien", "zoe o brien"),
    ("Seònaid Nic a' Phearsain", "seonaid nic a phearsain"),
    ("Straße_Haus", "strasse haus"),
    ("", ""),
    (None, ""),
])
def test_normalise_ignores_case_spacing_punctuation_and_accents(raw, expected):
    assert normalise(raw) == expected


def test_rejoins_are_one_person_and_overlaps_count_once():
    rows = [
        row("Dana Attendee", "dana@example.org", "Yb6", 2, 20),
        row("Dana Attendee", "Dana@Example.org", "Yb6", 24, 60),  # rejoin: same id, new per-join id
        row("Dana on iPad", "dana@example.org", None, 50, 58),  # same email, no id: overlaps the rejoin
        row("Guest (phone)", None, None, 5, 35),
        row("Guest (phone)", None, None, 30, 40),  # a guest's rows are joined by name
    ]
    people = {p.key: p for p in merge_people(rows, close_open_at=at(60))}
    assert set(people) == {"id:Yb6", "name:guest phone"}
    dana = people["id:Yb6"]
    assert dana.email == "dana@example.org"
    assert dana.intervals == [(at(2), at(20)), (at(24), at(60))]
    assert dana.seconds == (18 + 36) * 60
    assert people["name:guest phone"].intervals == [(at(5), at(40))]


def test_a_person_still_in_the_meeting_is_closed_at_the_given_time():
    [person] = merge_people([row("Late leaver", None, "k", 10, None)], close_open_at=at(60))
    assert person.intervals == [(at(10), at(60))]


def test_union_merges_touching_and_drops_backwards_intervals():
    assert union([(at(0), at(10)), (at(10), at(20)), (at(30), at(25))]) == [(at(0), at(20))]


def context(**changes) -> MatchContext:
    values = {
        "member_home_ids": frozenset({1, 2, 3}),
        "home_names": {1: "Ardenlea House", 2: "Taigh na Mara", 3: "Craigmhor Care Home"},
        "contacts_by_email": {"fiona@ardenlea.example": [ContactRef(1, 11, "manager")],
                              "shared@council.example": [ContactRef(1, 12, "other"),
                                                         ContactRef(2, 21, "other")]},
        "aliases": {("email", "ipad7@gmail.example"): AliasRef(2, None),
                    ("name", "kitchen ipad"): AliasRef(3, None),
                    ("name", "host example"): AliasRef(None, "facilitator"),
                    ("email", "elsewhere@x.example"): AliasRef(99, None)},
        "staff_emails": frozenset({"ailsa@facilitator.example"}),
    }
    values.update(changes)
    return MatchContext(**values)


def person(name: str, email: str | None = None) -> Person:
    return Person(key="k", name=name, email=email, intervals=[(at(0), at(60))])


@pytest.mark.parametrize(("name", "email", "home", "how", "ignored"), [
    ("Someone", "Fiona@Ardenlea.example", 1, "email", None),  # contact email, any case
    ("Ardenlea House", "ipad7@gmail.example", 2, "alias", None),  # a taught email beats the name
    ("Kitchen iPad", None, 3, "alias", None),  # a taught display name
    ("KITCHEN   i-pad", None, None, None, None),  # "i-pad" is not "ipad"
    ("Host Example", "", None, "alias", "facilitator"),  # taught: not a home
    ("Ailsa", "ailsa@facilitator.example", None, "staff", "facilitator"),  # staff never count
    ("TAIGH-NA-MÀRA iPad", None, 2, "name", None),  # name inside, accents ignored
    ("Craigmhor office", None, 3, "name", None),  # without "Care Home"
    ("Shared", "shared@council.example", None, None, None),  # email of two homes: not sure
    ("Visitor", "elsewhere@x.example", None, None, None),  # alias to a home not in this group
    ("Ardenlea and Taigh na Mara", None, 2, "name", None),  # the longest name wins
    ("", None, None, None, None),
])
def test_matching_order(name, email, home, how, ignored):
    match = match_person(person(name, email), context())
    assert (match.home_id, match.matched_by, match.ignored_as) == (home, how, ignored)


def test_a_tie_between_two_homes_names_is_no_match():
    assert home_named_in("Bell Court and Bell House", {1: "Bell Court", 2: "Bell House"}) is None


RULES = Rules(present_share=0.5, late_after=timedelta(minutes=10))


@pytest.mark.parametrize(("spans", "status", "minutes"), [
    ([(0, 60)], "present", 60),
    ([(-5, 45)], "present", 45),  # before the start does not count
    ([(11, 60)], "late", 49),
    ([(9, 40)], "present", 31),
    ([(0, 20), (40, 49)], "left_early", 29),
    ([(0, 20), (10, 29)], "left_early", 29),  # two people of one home overlapping: counted once
    ([(0, 20), (10, 30)], "present", 30),  # exactly half of the meeting
    ([(30, 70)], "late", 30),  # exactly half
    ([(65, 80)], "left_early", 0),  # only after the end
])
def test_home_figures(spans, status, minutes):
    people = [Person(key=f"p{i}", name="x", email=None, intervals=[(at(a), at(b))])
              for i, (a, b) in enumerate(spans)]
    figures = home_figures(people, [None] * len(people), T0, at(60), RULES)
    assert (figures.status, figures.minutes, figures.people) == (status, minutes, len(spans))


def test_no_one_is_absent_and_roles_say_whether_a_manager_came():
    assert home_figures([], [], T0, at(60), RULES).status == "absent"
    people = [person("a"), person("b")]
    assert home_figures(people, ["care_worker", "team_leader"], T0, at(60), RULES).senior_present is True
    assert home_figures(people, ["care_worker", None], T0, at(60), RULES).senior_present is False
    assert home_figures(people, [None, None], T0, at(60), RULES).senior_present is None


def test_the_share_is_configurable():
    people = [Person(key="p", name="x", email=None, intervals=[(at(0), at(40))])]
    strict = Rules(present_share=0.75, late_after=timedelta(minutes=10))
    assert home_figures(people, [None], T0, at(60), strict).status == "left_early"
    assert home_figures(people, [None], T0, at(60), RULES).status == "present"
