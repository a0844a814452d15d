"""The engagement rules, one table of cases. Each case is a home's record at weekly sessions,
oldest first: P present, L late, E left early, A absent (missed without notice), X excused
(missed with notice: an apology, or the facilitator typed it after a phone call)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from facilitator.attendance.engagement import (
    WITH_NOTICE,
    EngagementStatus,
    History,
    Mark,
    assess,
    assess_history,
)

AS_OF = date(2026, 6, 1)
LETTERS = {"P": "present", "L": "late", "E": "left_early", "A": "absent", "X": "excused"}
WEEK = timedelta(weeks=1)


def weekly(record: str, *, last: date = AS_OF, every_days: int = 7) -> list[Mark]:
    """Marks for ``record`` with the last one on ``last``."""
    count = len(record)
    return [Mark(last - timedelta(days=every_days * (count - 1 - i)), LETTERS[letter])
            for i, letter in enumerate(record)]


def weeks_ago(first: int, last: int) -> tuple[date, date]:
    """A pause from ``first`` weeks before AS_OF to ``last`` weeks before it (both days included)."""
    return AS_OF - first * WEEK, AS_OF - last * WEEK


CASES = [
    # (id, record, options, status, expected, attended, apologies, missed without notice in a row)
    ("nothing yet", "", {}, "new", 0, 0, 0, 0),
    ("one session", "P", {}, "new", 1, 1, 0, 0),
    ("one missed", "A", {}, "new", 1, 0, 0, 1),
    ("an apology is expected", "XP", {}, "engaged", 2, 1, 1, 0),
    ("one apology only", "X", {}, "new", 1, 0, 1, 0),
    ("two attended", "PP", {}, "engaged", 2, 2, 0, 0),
    ("late and left early attend", "LEPL", {}, "engaged", 4, 4, 0, 0),
    ("missed the last two", "PPPPAA", {}, "at_risk", 6, 4, 0, 2),
    ("an apology ends the run", "PPPAXA", {}, "engaged", 6, 3, 1, 1),
    ("below half of the last six", "PPPPAAPAAP", {}, "at_risk", 10, 6, 0, 0),
    ("exactly half of the last six", "PAPAPA" + "P", {}, "engaged", 7, 4, 0, 0),
    ("below half, mostly with notice", "PPPXXPXAP" + "X", {}, "engaged", 10, 5, 4, 0),
    ("below half, two without notice", "PPAXPAXAP", {}, "at_risk", 9, 4, 2, 0),
    ("three in a row", "PPPPAAA", {}, "disengaged", 7, 4, 0, 3),
    ("five in a row", "PAAAAA", {}, "disengaged", 6, 1, 0, 5),
    ("missed the first two only", "AAPP", {}, "engaged", 4, 2, 0, 0),
    ("apologised twice for an outbreak", "PPPPXX", {}, "engaged", 6, 4, 2, 0),
    ("apologies for three in a row", "PPPPXXX", {}, "at_risk", 7, 4, 3, 0),
    ("apologies for five in a row", "PPXXXXX", {}, "at_risk", 7, 2, 5, 0),
    ("apologies, a longer run allowed", "PPPPXXX", {"apology_run": 4}, "engaged", 7, 4, 3, 0),
    ("apologies, a shorter run flagged", "PPPPXX", {"apology_run": 2}, "at_risk", 6, 4, 2, 0),
    ("apologies then silence", "PPXXXAA", {}, "at_risk", 7, 2, 3, 2),
    ("silence then an apology", "PPPAAAX", {}, "at_risk", 7, 3, 1, 0),
    ("alternating notice and silence", "PAXAXAX", {}, "at_risk", 7, 1, 3, 0),
    ("withdrawn wins", "PPPP", {"withdrawn": True}, "withdrawn", 4, 4, 0, 0),
    ("withdrawn even when new", "", {"withdrawn": True}, "withdrawn", 0, 0, 0, 0),
    ("withdrawn wins over a pause", "PP", {"withdrawn": True, "pauses": [weeks_ago(1, -1)]},
     "withdrawn", 0, 0, 0, 0),
    # A pause covering today: paused, and the sessions inside it are not expected.
    ("paused today", "PPPAAA", {"pauses": [weeks_ago(2, -2)]}, "paused", 3, 3, 0, 0),
    ("paused wins over new", "", {"pauses": [weeks_ago(0, 0)]}, "paused", 0, 0, 0, 0),
    # A pause that ended: its sessions are left out, and the status follows the others.
    ("misses inside an old pause", "PPPAAAPP", {"pauses": [weeks_ago(4, 2)]}, "engaged", 5, 5, 0, 0),
    ("a pause ended last week", "PPPAA" + "P", {"pauses": [weeks_ago(2, 1)]}, "engaged", 4, 4, 0, 0),
    ("misses after a pause", "PPPPPAA", {"pauses": [weeks_ago(4, 2)]}, "at_risk", 4, 2, 0, 2),
    # Sessions every 45 days: one miss, but nothing for 6 weeks though a member all that time.
    ("one miss, quiet six weeks", "PA", {"every_days": 45}, "disengaged", 2, 1, 0, 1),
    # ... but an apology in those six weeks is notice: not disengaged by the 6 weeks.
    ("one apology, quiet six weeks", "PX", {"every_days": 45}, "engaged", 2, 1, 1, 0),
    # Three-weekly: two misses would be "at risk", but six weeks without attending is more.
    ("three-weekly, quiet six weeks", "PPAA", {"every_days": 21}, "disengaged", 4, 2, 0, 2),
    ("three-weekly, notice in six weeks", "PPXA", {"every_days": 21}, "engaged", 4, 2, 1, 1),
    # Monthly: last came four weeks ago, then one miss: not quiet for six weeks yet.
    ("monthly, one miss", "PPA", {"every_days": 28}, "engaged", 3, 2, 0, 1),
    # Fortnightly, joined a month ago, missed both: at risk, not "quiet for 6 weeks".
    ("joined recently, missed two", "AA", {"every_days": 14}, "at_risk", 2, 0, 0, 2),
    # The group had a break: the last session was 10 weeks ago and was attended.
    ("group on a break", "PPAP", {"last": AS_OF - timedelta(weeks=10)}, "engaged", 4, 3, 0, 0),
    # Sessions after the as-of date are ignored.
    ("future marks ignored", "PP", {"extra_after": "AAA"}, "engaged", 2, 2, 0, 0),
]


def _assess(record: str, options: dict):
    options = dict(options)
    withdrawn = options.pop("withdrawn", False)
    extra = options.pop("extra_after", "")
    pauses = options.pop("pauses", ())
    run = options.pop("apology_run", 3)
    marks = weekly(record, **options)
    marks += [Mark(AS_OF + timedelta(days=7 * (i + 1)), LETTERS[x]) for i, x in enumerate(extra)]
    return assess(marks, as_of=AS_OF, withdrawn=withdrawn, pauses=pauses, apology_run_at_risk=run)


@pytest.mark.parametrize(("record", "options", "status", "expected", "attended", "apologies", "unnoticed"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_engagement_rules(record, options, status, expected, attended, apologies, unnoticed):
    result = _assess(record, options)
    assert result.status == EngagementStatus(status)
    assert (result.expected, result.attended, result.apologies, result.missed_without_notice_in_a_row) == (
        expected, attended, apologies, unnoticed)
    assert result.rate == (attended / expected if expected else None)
    assert result.commitment == ((attended + apologies) / expected if expected else None)
    assert result.paused == (status == "paused")
    assert result.reason


def test_there_are_at_least_twenty_five_cases():
    assert len(CASES) >= 25
    assert {c[3] for c in CASES} == {s.value for s in EngagementStatus}


def test_the_reasons_say_what_happened():
    assert _assess("PPPPXXX", {}).reason == "Apologies for 3 sessions in a row."
    assert _assess("PPPPAA", {}).reason == "Missed the last 2 sessions without notice."
    assert _assess("PPPPXX", {}).reason == "Sent apologies for the last 2 sessions."
    assert _assess("PPPPAAA", {}).reason == "Missed the last 3 sessions without notice."


def test_missed_in_a_row_counts_misses_with_and_without_notice():
    result = _assess("PPAXA", {})
    runs = (result.missed_in_a_row, result.missed_without_notice_in_a_row, result.apologies_in_a_row)
    assert runs == (3, 1, 0)
    assert result.last_attended == AS_OF - 3 * WEEK


def test_the_history_has_a_letter_for_a_session_with_notice():
    history = History.of(weekly("PXA"))
    assert history.codes[1] == WITH_NOTICE
    assert assess_history(history, as_of=AS_OF).apologies == 1


def test_last_attended_and_the_recent_trend():
    marks = weekly("PAPLAA")
    result = assess(marks, as_of=AS_OF)
    assert result.last_attended == marks[3].on
    assert result.recent == (True, False, True, True, False, False)
    assert assess(weekly("PXP"), as_of=AS_OF).recent == (True, False, True)


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
    assert [s.value for s in EngagementStatus] == ["engaged", "at_risk", "disengaged", "withdrawn", "new",
                                                   "paused"]
    assert EngagementStatus.AT_RISK.label == "At risk"
    assert EngagementStatus.PAUSED.label == "Paused"
    assert EngagementStatus.AT_RISK.needs_attention and not EngagementStatus.NEW.needs_attention
    assert not EngagementStatus.PAUSED.needs_attention
