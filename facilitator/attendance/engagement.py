"""A home's engagement with its group, from the register. One function decides the status:
``_status``, which :func:`assess_history` and :func:`previous_status` call (:func:`assess` builds
their input from marks).

The register is the one source of what happened: *excused* is a session **missed with notice**
(an apology through the home's link, or the facilitator typed excused after a phone call),
*absent* one **missed without notice**. The rules (also in the README, as a table):

- **Expected**: sessions of the group that have started, were not cancelled, on a date the home
  was a member and **not inside a pause of the home**, whose register records the home (a session
  whose register does not mention the home yet is left out: nothing is known about it). Sessions
  with notice are expected.
- **Attended**: present, late or left early. **Apologies**: expected sessions missed with notice.
- **Rate** = attended / expected (sessions with notice count against it: it is plain attendance);
  **commitment** = (attended + apologies) / expected, so rate ≤ commitment.
- **Missed in a row**: sessions not attended (with or without notice) counted back from the latest
  expected one; **missed without notice in a row**: absences counted back from the latest expected
  session, a session with notice ending the run; **apologies in a row** likewise.
- **Status**, the first that applies:

  1. ``withdrawn`` – the home has left the group;
  2. ``paused`` – a pause of the home covers the day the report is as of;
  3. ``new`` – fewer than 2 expected sessions so far;
  4. ``disengaged`` – missed the last 3 or more expected sessions without notice, or in the last
     6 weeks it had expected sessions, missed every one of them without notice, and its first
     expected session is at least 6 weeks old (a group on a break, or a home that joined a month
     ago, is not flagged by the 6 weeks alone);
  5. ``at_risk`` – missed the last 2 expected sessions without notice; or apologised for the last
     ``APOLOGY_RUN_AT_RISK`` (3) or more in a row; or, of its last 6 expected sessions, attended
     fewer than half and missed at least 2 without notice;
  6. ``engaged`` – otherwise (a home that apologised twice for an outbreak stays engaged).

- **Senior share**: of the attended sessions whose register knows whether a manager or team
  leader took part, the share where one did (None when it is never known).
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from facilitator.models.attendance import ATTENDED_STATUSES, AttendanceStatus

NEW_BELOW = 2
AT_RISK_MISSES = 2
DISENGAGED_MISSES = 3
APOLOGY_RUN_AT_RISK = 3  # the default of the APOLOGY_RUN_AT_RISK setting
RECENT_WINDOW = 6
RECENT_MIN_RATE = 0.5
RECENT_AT_RISK_MISSES = 2  # misses without notice in the window that make low attendance a worry
QUIET_PERIOD = timedelta(weeks=6)

# One letter per expected session in a History: came with a manager or team leader there, came
# without one, came (not known whether one did), missed with notice (excused), missed without
# notice (absent).
CAME_WITH_SENIOR = "S"
CAME_WITHOUT_SENIOR = "N"
CAME = "U"
WITH_NOTICE = "x"
MISSED = "a"
CAME_CODES = (CAME_WITH_SENIOR, CAME_WITHOUT_SENIOR, CAME)
NOT_CAME = MISSED + WITH_NOTICE


class EngagementStatus(enum.StrEnum):
    ENGAGED = "engaged"
    AT_RISK = "at_risk"
    DISENGAGED = "disengaged"
    WITHDRAWN = "withdrawn"
    NEW = "new"
    PAUSED = "paused"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self.value]

    @property
    def needs_attention(self) -> bool:
        return self in (EngagementStatus.AT_RISK, EngagementStatus.DISENGAGED)


_STATUS_LABELS = {"engaged": "Engaged", "at_risk": "At risk", "disengaged": "Disengaged",
                  "withdrawn": "Withdrawn", "new": "New", "paused": "Paused"}

Pause = tuple[date, date]  # the first and the last day of a pause, both included


@dataclass(frozen=True)
class Mark:
    """What the register says about one home at one session it was a member for."""

    on: date
    status: str  # an AttendanceStatus value
    senior_present: bool | None = None

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED_STATUSES


def mark_code(status: str, senior_present: bool | None) -> str:
    """The History letter of an expected session."""
    if status == AttendanceStatus.EXCUSED:
        return WITH_NOTICE
    if status not in ATTENDED_STATUSES:
        return MISSED
    if senior_present is None:
        return CAME
    return CAME_WITH_SENIOR if senior_present else CAME_WITHOUT_SENIOR


def paused_on(pauses: Sequence[Pause], day: date) -> bool:
    return any(first <= day <= last for first, last in pauses)


@dataclass(frozen=True)
class History:
    """A home's expected sessions in one group, oldest first: the ISO date of each (``days``) and
    one letter each (``codes``). The rules below work on this compact form, so that the report
    can build it straight from one aggregated SQL row per home and never hold a row per session."""

    days: Sequence[str]
    codes: str

    @classmethod
    def of(cls, marks: Sequence[Mark], pauses: Sequence[Pause] = ()) -> History:
        """The History of ``marks``, leaving out the sessions inside ``pauses`` (not expected)."""
        expected = sorted((m for m in marks if not paused_on(pauses, m.on)), key=lambda m: m.on)
        return cls([m.on.isoformat() for m in expected],
                   "".join(mark_code(m.status, m.senior_present) for m in expected))

    def until(self, last_day: str) -> History:
        """The sessions on or before ``last_day`` (an ISO date)."""
        end = bisect_right(self.days, last_day)
        return self if end == len(self.days) else History(self.days[:end], self.codes[:end])


NO_HISTORY = History((), "")


@dataclass(frozen=True, slots=True)
class Engagement:
    expected: int
    attended: int
    rate: float | None  # attended / expected
    last_attended: date | None
    missed_in_a_row: int  # not attended, with or without notice
    status: EngagementStatus
    senior_share: float | None
    recent: tuple[bool, ...]  # attended? for the last expected sessions, oldest first
    reason: str  # why this status, in words
    apologies: int = 0  # expected sessions missed with notice
    commitment: float | None = None  # (attended + apologies) / expected
    missed_without_notice_in_a_row: int = 0
    apologies_in_a_row: int = 0

    @property
    def paused(self) -> bool:
        return self.status == EngagementStatus.PAUSED


def assess(marks: Sequence[Mark], *, as_of: date, withdrawn: bool = False, pauses: Sequence[Pause] = (),
           apology_run_at_risk: int = APOLOGY_RUN_AT_RISK) -> Engagement:
    """The engagement of one home in one group on ``as_of`` (marks after it are ignored)."""
    return assess_history(History.of(marks, pauses), as_of=as_of, withdrawn=withdrawn,
                          paused=paused_on(pauses, as_of), apology_run_at_risk=apology_run_at_risk)


def _run(codes: str, letters: str) -> int:
    """How many of the latest codes are among ``letters``."""
    return len(codes) - len(codes.rstrip(letters))


def assess_history(history: History, *, as_of: date, withdrawn: bool = False, paused: bool = False,
                   apology_run_at_risk: int = APOLOGY_RUN_AT_RISK) -> Engagement:
    """:func:`assess` on a :class:`History` (sessions after ``as_of`` are ignored); ``paused``: a
    pause of the home covers ``as_of``."""
    history = history.until(as_of.isoformat())
    codes = history.codes
    expected = len(codes)
    missed, apologies = codes.count(MISSED), codes.count(WITH_NOTICE)
    attended = expected - missed - apologies
    missed_in_a_row = _run(codes, NOT_CAME)
    last_came = expected - 1 - missed_in_a_row
    with_senior = codes.count(CAME_WITH_SENIOR)
    known = with_senior + codes.count(CAME_WITHOUT_SENIOR)
    status, reason = _status(history, as_of, withdrawn=withdrawn, paused=paused,
                             apology_run_at_risk=apology_run_at_risk)
    return Engagement(
        expected=expected,
        attended=attended,
        rate=attended / expected if expected else None,
        last_attended=date.fromisoformat(history.days[last_came]) if last_came >= 0 else None,
        missed_in_a_row=missed_in_a_row,
        status=status,
        senior_share=with_senior / known if known else None,
        recent=tuple(code in CAME_CODES for code in codes[-RECENT_WINDOW:]),
        reason=reason,
        apologies=apologies,
        commitment=(expected - missed) / expected if expected else None,
        missed_without_notice_in_a_row=_run(codes, MISSED),
        apologies_in_a_row=_run(codes, WITH_NOTICE),
    )


def previous_status(history: History, *, withdrawn: bool = False,
                    apology_run_at_risk: int = APOLOGY_RUN_AT_RISK) -> EngagementStatus | None:
    """The status just before the latest expected session (None when there is nothing before)."""
    if withdrawn or not history.codes:
        return None
    latest = history.days[-1]
    before = bisect_left(history.days, latest)
    earlier = History(history.days[:before], history.codes[:before])
    as_of = date.fromisoformat(latest) - timedelta(days=1)
    return _status(earlier, as_of, withdrawn=False, paused=False, apology_run_at_risk=apology_run_at_risk)[0]


def _status(history: History, as_of: date, *, withdrawn: bool, paused: bool,
            apology_run_at_risk: int) -> tuple[EngagementStatus, str]:
    """The one place the status is decided (the rules in the module's docstring, in order), from
    the expected sessions on or before ``as_of``."""
    codes = history.codes
    if withdrawn:
        return EngagementStatus.WITHDRAWN, "Has left the group."
    if paused:
        return EngagementStatus.PAUSED, "Paused: not expected at sessions until the pause ends."
    if len(codes) < NEW_BELOW:
        return EngagementStatus.NEW, "Fewer than 2 sessions so far."
    unnoticed = _run(codes, MISSED)
    if unnoticed >= DISENGAGED_MISSES:
        return EngagementStatus.DISENGAGED, f"Missed the last {unnoticed} sessions without notice."
    window_start = (as_of - QUIET_PERIOD).isoformat()
    in_window = codes[bisect_right(history.days, window_start):]
    member_throughout = history.days[0] <= window_start
    if in_window and member_throughout and in_window.count(MISSED) == len(in_window):
        return EngagementStatus.DISENGAGED, "Has not attended or sent apologies for 6 weeks."
    if unnoticed >= AT_RISK_MISSES:
        return EngagementStatus.AT_RISK, f"Missed the last {unnoticed} sessions without notice."
    said_sorry = _run(codes, WITH_NOTICE)
    if said_sorry >= apology_run_at_risk:
        return EngagementStatus.AT_RISK, f"Apologies for {said_sorry} sessions in a row."
    recent = codes[-RECENT_WINDOW:]
    came = len(recent) - recent.count(MISSED) - recent.count(WITH_NOTICE)
    if came < RECENT_MIN_RATE * len(recent) and recent.count(MISSED) >= RECENT_AT_RISK_MISSES:
        return EngagementStatus.AT_RISK, (f"Came to {came} of the last {len(recent)} sessions, "
                                          f"{recent.count(MISSED)} missed without notice.")
    if said_sorry:
        plural = "s" if said_sorry > 1 else ""
        return EngagementStatus.ENGAGED, f"Sent apologies for the last {said_sorry} session{plural}."
    return EngagementStatus.ENGAGED, "Attending regularly."


@dataclass(frozen=True)
class RatingTrend:
    """A home's engagement ratings (1–4) over the period: their average, and the trend, which
    compares the average of the later half of its rated sessions with the earlier half (the
    middle one left out when their number is odd). No trend below 2 rated sessions."""

    count: int
    average: float
    earlier: float | None  # the earlier half's average
    later: float | None

    @property
    def direction(self) -> str | None:
        """"up", "down" or "steady" (to one decimal place); None without a trend."""
        if self.earlier is None or self.later is None:
            return None
        before, after = round(self.earlier, 1), round(self.later, 1)
        return "up" if after > before else "down" if after < before else "steady"

    @property
    def words(self) -> str:
        """The trend in words, e.g. "up from 2.8"; "" without a trend."""
        if self.direction is None:
            return ""
        return "steady" if self.direction == "steady" else f"{self.direction} from {self.earlier:.1f}"


def rating_trend(ratings: Sequence[int]) -> RatingTrend | None:
    """The :class:`RatingTrend` of ratings oldest first; None when there are none."""
    if not ratings:
        return None
    half = len(ratings) // 2
    earlier = sum(ratings[:half]) / half if half else None
    later = sum(ratings[-half:]) / half if half else None
    return RatingTrend(len(ratings), sum(ratings) / len(ratings), earlier, later)
