"""The demo's monthly returns (issue 19): six months of each grouped home's counts, the share of
care plans naming trauma climbing month by month, a few typed in from paper, and the last month
left unsent by one home in each group so the reminder and the link page have something to ask."""

from __future__ import annotations

from facilitator.clock import local_today
from facilitator.indicators.queries import months_back
from facilitator.indicators.services import last_month, save_return
from facilitator.models import Group, IndicatorSource, User

MONTHS = 6
ROLES_TRAINED = [("care_staff", "informed"), ("senior_carer", "skilled"), ("team_leader", "enhanced")]


def load_indicators(groups: list[Group], facilitator: User) -> None:
    """Returns for every home of each group over the last six months (flushes)."""
    newest = last_month(local_today())
    for group in groups:
        for place, membership in enumerate(group.memberships):
            home = membership.home
            for step in range(MONTHS):
                month = months_back(newest, MONTHS - step)
                if month == newest and place == 0:
                    continue
                paper = (step + place) % 4 == 0
                by = facilitator if paper else home.contacts[0]
                save_return(home, month, _counts(step, place), IndicatorSource.PAPER if paper
                            else IndicatorSource.ONLINE, by)


def _counts(step: int, place: int) -> dict[str, object]:
    reviewed = 8 + place * 3 + step
    meetings = 4 + place
    staff = [{"role": role, "ksf_level": level, "count": (step + n + place) % 3}
             for n, (role, level) in enumerate(ROLES_TRAINED)]
    return {"care_plans_reviewed": reviewed,
            "care_plans_naming_trauma": min(reviewed, 1 + step * (place + 1)),
            "team_meetings": meetings, "team_meetings_discussing_tip": min(meetings, 1 + step // 2),
            "team_leaders_trained_total": 1 + step // 2 + place, "staff_trained": staff}
