"""A home's engagement with its group, from the register. One function: :func:`assess`.

The rules (also in the README):

- **Expected**: sessions of the group that have started, were not cancelled, on a date the home
  was a member, whose register records the home as anything but *excused*. A session whose
  register does not mention the home yet is left out: nothing is known about it.
- **Attended**: present, late or left early. **Rate** = attended / expected.
- **Missed in a row**: absences counted back from the latest expected session.
- **Status**, the first that applies:

  1. ``withdrawn`` – the home has left the group;
  2. ``new`` – fewer than 2 expected sessions so far;
  3. ``disengaged`` – missed the last 3 or more expected sessions, or nothing attended in the
     last 6 weeks although the home had expected sessions in them and its first expected
     session is at least 6 weeks old (a group on a break, or a home that joined a month ago,
     is not flagged by the 6 weeks alone);
  4. ``at_risk`` – missed the last 2 expected sessions, or attended fewer than half of its
     last 6 expected sessions;
  5. ``engaged`` – otherwise.

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
RECENT_WINDOW = 6
RECENT_MIN_RATE = 0.5
QUIET_PERIOD = timedelta(weeks=6)

# One letter per expected session in a History: came with a manager or team leader there, came
# without one, came (not known whether one did), missed.
CAME_WITH_SENIOR = "S"
CAME_WITHOUT_SENIOR = "N"
CAME = "U"
MISSED = "a"
CAME_CODES = (CAME_WITH_SENIOR, CAME_WITHOUT_SENIOR, CAME)


class EngagementStatus(enum.StrEnum):
    ENGAGED = "engaged"
    AT_RISK = "at_risk"
    DISENGAGED = "disengaged"
    WITHDRAWN = "withdrawn"
    NEW = "new"

    @property
    def label(self) -> str:
        return _STATUS_LABELS[self.value]

    @property
    def needs_attention(self) -> bool:
        return self in (EngagementStatus.AT_RISK, EngagementStatus.DISENGAGED)


_STATUS_LABELS = {"engaged": "Engaged", "at_risk": "At risk", "disengaged": "Disengaged",
                  "withdrawn": "Withdrawn", "new": "New"}


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
    """The History letter of an expected session (not for excused ones, which are not expected)."""
    if status not in ATTENDED_STATUSES:
        return MISSED
    if senior_present is None:
        return CAME
    return CAME_WITH_SENIOR if senior_present else CAME_WITHOUT_SENIOR


@dataclass(frozen=True)
class History:
    """A home's expected sessions in one group, oldest first: the ISO date of each (``days``) and
    one letter each (``codes``). The rules below work on this compact form, so that the report
    can build it straight from one aggregated SQL row per home and never hold a row per session."""

    days: Sequence[str]
    codes: str

    @classmethod
    def of(cls, marks: Sequence[Mark]) -> History:
        expected = sorted((m for m in marks if m.status != AttendanceStatus.EXCUSED), key=lambda m: m.on)
        return cls([m.on.isoformat() for m in expected],
                   "".join(mark_code(m.status, m.senior_present) for m in expected))

    def until(self, last_day: str) -> History:
        """The sessions on or before ``last_day`` (an ISO date)."""
        end = bisect_right(self.days, last_day)
        return self if end == len(self.days) else History(self.days[:end], self.codes[:end])


NO_HISTORY = History((), "")


@dataclass(frozen=True)
class Engagement:
    expected: int
    attended: int
    rate: float | None
    last_attended: date | None
    missed_in_a_row: int
    status: EngagementStatus
    senior_share: float | None
    recent: tuple[bool, ...]  # attended? for the last expected sessions, oldest first
    reason: str  # why this status, in words


def assess(marks: Sequence[Mark], *, as_of: date, withdrawn: bool = False) -> Engagement:
    """The engagement of one home in one group on ``as_of`` (marks after it are ignored)."""
    return assess_history(History.of(marks), as_of=as_of, withdrawn=withdrawn)


def assess_history(history: History, *, as_of: date, withdrawn: bool = False) -> Engagement:
    """:func:`assess` on a :class:`History` (sessions after ``as_of`` are ignored)."""
    history = history.until(as_of.isoformat())
    codes = history.codes
    expected = len(codes)
    attended = expected - codes.count(MISSED)
    last_came = max(codes.rfind(code) for code in CAME_CODES)
    missed_in_a_row = expected - 1 - last_came
    recent = codes[-RECENT_WINDOW:]
    recent_rate = (len(recent) - recent.count(MISSED)) / len(recent) if recent else None
    with_senior = codes.count(CAME_WITH_SENIOR)
    known = with_senior + codes.count(CAME_WITHOUT_SENIOR)
    status, reason = _status(history, missed_in_a_row, recent_rate, as_of, withdrawn)
    return Engagement(
        expected=expected,
        attended=attended,
        rate=attended / expected if expected else None,
        last_attended=date.fromisoformat(history.days[last_came]) if last_came >= 0 else None,
        missed_in_a_row=missed_in_a_row,
        status=status,
        senior_share=with_senior / known if known else None,
        recent=tuple(code != MISSED for code in recent),
        reason=reason,
    )


def previous_status(history: History, *, withdrawn: bool = False) -> EngagementStatus | None:
    """The status just before the latest expected session (None when there is nothing before)."""
    if withdrawn or not history.codes:
        return None
    latest = history.days[-1]
    before = bisect_left(history.days, latest)
    earlier = History(history.days[:before], history.codes[:before])
    return assess_history(earlier, as_of=date.fromisoformat(latest) - timedelta(days=1)).status


def _status(history: History, missed_in_a_row: int, recent_rate: float | None, as_of: date,
            withdrawn: bool) -> tuple[EngagementStatus, str]:
    codes = history.codes
    if withdrawn:
        return EngagementStatus.WITHDRAWN, "Has left the group."
    if len(codes) < NEW_BELOW:
        return EngagementStatus.NEW, "Fewer than 2 sessions so far."
    if missed_in_a_row >= DISENGAGED_MISSES:
        return EngagementStatus.DISENGAGED, f"Missed the last {missed_in_a_row} sessions."
    window_start = (as_of - QUIET_PERIOD).isoformat()
    in_window = codes[bisect_right(history.days, window_start):]
    member_throughout = history.days[0] <= window_start
    if in_window and member_throughout and in_window.count(MISSED) == len(in_window):
        return EngagementStatus.DISENGAGED, "Has not attended for 6 weeks."
    if missed_in_a_row >= AT_RISK_MISSES:
        return EngagementStatus.AT_RISK, f"Missed the last {missed_in_a_row} sessions."
    if recent_rate is not None and recent_rate < RECENT_MIN_RATE:
        window = min(len(codes), RECENT_WINDOW)
        came = round(recent_rate * window)
        return EngagementStatus.AT_RISK, f"Came to {came} of the last {window} sessions."
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
