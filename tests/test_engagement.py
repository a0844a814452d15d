"""The engagement rules, one table of cases. Each case is a home's record at weekly sessions,
oldest first: P present, L late, E left early, A absent, X excused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from facilitator.attendance.engagement import EngagementStatus, Mark, assess

AS_OF = date(2026, 6, 1)
LETTERS = {"P": "present", "L": "late", "E": "left_early", "A": "absent", "X": "excused"}


def weekly(record: str, *, last: date = AS_OF, every_days: int = 7) -> list[Mark]:
    """Marks for ``record`` with the last one on ``last``."""
    count = len(record)
    return [Mark(last - timedelta(days=every_days * (count - 1 - i)), LETTERS[letter])
            for i, letter in enumerate(record)]


CASES = [
    # (id, record, options, status, expected, attended, missed_in_a_row)
    ("nothing yet", "", {}, "new", 0, 0, 0),
    ("one session", "P", {}, "new", 1, 1, 0),
    ("one missed", "A", {}, "new", 1, 0, 1),
    ("excused does not count", "XP", {}, "new", 1, 1, 0),
    ("two attended", "PP", {}, "engaged", 2, 2, 0),
    ("late and left early attend", "LEPL", {}, "engaged", 4, 4, 0),
    ("missed the last two", "PPPPAA", {}, "at_risk", 6, 4, 2),
    ("missed two, excused between", "PPPAXA", {}, "at_risk", 5, 3, 2),
    ("below half of the last six", "PPPPAAPAAP", {}, "at_risk", 10, 6, 0),
    ("exactly half of the last six", "PAPAPA" + "P", {}, "engaged", 7, 4, 0),
    ("three in a row", "PPPPAAA", {}, "disengaged", 7, 4, 3),
    ("five in a row", "PAAAAA", {}, "disengaged", 6, 1, 5),
    ("missed the first two only", "AAPP", {}, "engaged", 4, 2, 0),
    ("withdrawn wins", "PPPP", {"withdrawn": True}, "withdrawn", 4, 4, 0),
    ("withdrawn even when new", "", {"withdrawn": True}, "withdrawn", 0, 0, 0),
    # Sessions every 45 days: one miss, but nothing for 6 weeks though a member all that time.
    ("one miss, quiet six weeks", "PA", {"every_days": 45}, "disengaged", 2, 1, 1),
    # Three-weekly: two misses would be "at risk", but six weeks without attending is more.
    ("three-weekly, quiet six weeks", "PPAA", {"every_days": 21}, "disengaged", 4, 2, 2),
    # Monthly: last came four weeks ago, then one miss: not quiet for six weeks yet.
    ("monthly, one miss", "PPA", {"every_days": 28}, "engaged", 3, 2, 1),
    # Fortnightly, joined a month ago, missed both: at risk, not "quiet for 6 weeks".
    ("joined recently, missed two", "AA", {"every_days": 14}, "at_risk", 2, 0, 2),
    # The group had a break: the last session was 10 weeks ago and was attended.
    ("group on a break", "PPAP", {"last": AS_OF - timedelta(weeks=10)}, "engaged", 4, 3, 0),
    # Sessions after the as-of date are ignored.
    ("future marks ignored", "PP", {"extra_after": "AAA"}, "engaged", 2, 2, 0),
]


@pytest.mark.parametrize(("record", "options", "status", "expected", "attended", "missed"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_engagement_rules(record, options, status, expected, attended, missed):
    options = dict(options)
    withdrawn = options.pop("withdrawn", False)
    extra = options.pop("extra_after", "")
    marks = weekly(record, **options)
    marks += [Mark(AS_OF + timedelta(days=7 * (i + 1)), LETTERS[x]) for i, x in enumerate(extra)]
    result = assess(marks, as_of=AS_OF, withdrawn=withdrawn)
    assert result.status == EngagementStatus(status)
    assert (result.expected, result.attended, result.missed_in_a_row) == (expected, attended, missed)
    assert result.rate == (attended / expected if expected else None)
    assert result.reason


def test_there_are_at_least_fifteen_cases():
    assert len(CASES) >= 15
    assert {c[3] for c in CASES} == {s.value for s in EngagementStatus}


def test_last_attended_and_the_recent_trend():
    marks = weekly("PAPLAA")
    result = assess(marks, as_of=AS_OF)
    assert result.last_attended == marks[3].on
    assert result.recent == (True, False, True, True, False, False)


def test_marks_need_not_be_in_order():
    marks = list(reversed(weekly("PPPPAAA")))
    assert assess(marks, as_of=AS_OF).status == EngagementStatus.DISENGAGED


def test_senior_share_counts_only_attended_sessions_where_it_is_known():
    marks = [Mark(AS_OF - timedelta(days=21), "present", True),
             Mark(AS_OF - timedelta(days=14), "present", False),
             Mark(AS_OF - timedelta(days=7), "present", None), Mark(AS_OF, "absent", True)]
    assert assess(marks, as_of=AS_OF).senior_share == 0.5
    assert assess(weekly("PP"), as_of=AS_OF).senior_share is None


def test_statuses_have_labels_and_json_names():
    assert [s.value for s in EngagementStatus] == ["engaged", "at_risk", "disengaged", "withdrawn", "new"]
    assert EngagementStatus.AT_RISK.label == "At risk"
    assert EngagementStatus.AT_RISK.needs_attention and not EngagementStatus.NEW.needs_attention
