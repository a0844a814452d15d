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


class EngagementStatus(enum.StrEnum):
    ENGAGED = "engaged"
    AT_RISK = "at_risk"
    DISENGAGED = "disengaged"
    WITHDRAWN = "withdrawn"
    NEW = "new"

    @property
    def label(self) -> str:
        return {"engaged": "Engaged", "at_risk": "At risk", "disengaged": "Disengaged",
                "withdrawn": "Withdrawn", "new": "New"}[self.value]

    @property
    def needs_attention(self) -> bool:
        return self in (EngagementStatus.AT_RISK, EngagementStatus.DISENGAGED)


@dataclass(frozen=True)
class Mark:
    """What the register says about one home at one session it was a member for."""

    on: date
    status: str  # an AttendanceStatus value
    senior_present: bool | None = None

    @property
    def attended(self) -> bool:
        return self.status in ATTENDED_STATUSES


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
    expected = sorted((m for m in marks if m.on <= as_of and m.status != AttendanceStatus.EXCUSED),
                      key=lambda m: m.on)
    attended = [m for m in expected if m.attended]
    missed_in_a_row = 0
    for mark in reversed(expected):
        if mark.attended:
            break
        missed_in_a_row += 1
    recent = expected[-RECENT_WINDOW:]
    recent_rate = sum(m.attended for m in recent) / len(recent) if recent else None
    known = [m.senior_present for m in attended if m.senior_present is not None]
    status, reason = _status(expected, attended, missed_in_a_row, recent_rate, as_of, withdrawn)
    return Engagement(
        expected=len(expected),
        attended=len(attended),
        rate=len(attended) / len(expected) if expected else None,
        last_attended=attended[-1].on if attended else None,
        missed_in_a_row=missed_in_a_row,
        status=status,
        senior_share=sum(known) / len(known) if known else None,
        recent=tuple(m.attended for m in recent),
        reason=reason,
    )


def _status(expected: list[Mark], attended: list[Mark], missed_in_a_row: int,
            recent_rate: float | None, as_of: date, withdrawn: bool) -> tuple[EngagementStatus, str]:
    if withdrawn:
        return EngagementStatus.WITHDRAWN, "Has left the group."
    if len(expected) < NEW_BELOW:
        return EngagementStatus.NEW, "Fewer than 2 sessions so far."
    if missed_in_a_row >= DISENGAGED_MISSES:
        return EngagementStatus.DISENGAGED, f"Missed the last {missed_in_a_row} sessions."
    window_start = as_of - QUIET_PERIOD
    in_window = [m for m in expected if m.on > window_start]
    member_throughout = expected[0].on <= window_start
    if in_window and member_throughout and not any(m.attended for m in in_window):
        return EngagementStatus.DISENGAGED, "Has not attended for 6 weeks."
    if missed_in_a_row >= AT_RISK_MISSES:
        return EngagementStatus.AT_RISK, f"Missed the last {missed_in_a_row} sessions."
    if recent_rate is not None and recent_rate < RECENT_MIN_RATE:
        window = min(len(expected), RECENT_WINDOW)
        came = round(recent_rate * window)
        return EngagementStatus.AT_RISK, f"Came to {came} of the last {window} sessions."
    return EngagementStatus.ENGAGED, "Attending regularly."
