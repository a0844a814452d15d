"""The readiness checklist of each home in a group (issue 17).

Seven items; those the data can answer tick themselves: the sponsor is named and the agreement
accepted (the home's agreements), the first assessment started (its rounds). The facilitator
records the visit, the meeting with the manager face to face and the champion (a contact of the
home) on the membership. "Device tested" ticks itself when the home presses "Test this iPad" on its
page (``device_tests``): on the day of its latest test, with its browser ("Safari on iPad"),
whichever provider's test meeting it opened. A home with every item done is ready.

Reads take a handful of statements whatever the number of homes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from facilitator.clock import FIRST_DAY, as_local, local_today, now_utc
from facilitator.conditions.device_tests import latest_tests
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.models import (
    AGREED_STATUSES,
    Agreement,
    AgreementStatus,
    Assessment,
    Contact,
    DeviceTest,
    Group,
    Membership,
    MembershipReadiness,
)

ITEMS = ("visited", "met_manager", "sponsor", "agreement", "champion", "device_tested", "first_assessment")
LABELS = {"visited": "Facilitator visited the home", "met_manager": "Met the manager face to face",
          "sponsor": "Sponsor named", "agreement": "Agreement accepted",
          "champion": "Implementation lead or champion named", "device_tested": "Device tested",
          "first_assessment": "First assessment started"}
NOT_RECORDED = "not recorded yet"


@dataclass(frozen=True)
class Item:
    done: bool
    on: date | None = None
    detail: str | None = None


@dataclass
class HomeReadiness:
    home_id: int
    home_name: str
    items: dict[str, Item] = field(default_factory=dict)

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items.values() if item.done)

    @property
    def ready(self) -> bool:
        return self.done_count == len(ITEMS)

    @property
    def missing(self) -> list[str]:
        return [LABELS[key] for key, item in self.items.items() if not item.done]


def group_readiness(group: Group, today: date | None = None) -> list[HomeReadiness]:
    """Each current member's checklist, by home name."""
    return groups_readiness([group.id], today).get(group.id, [])


def groups_readiness(group_ids: list[int], today: date | None = None) -> dict[int, list[HomeReadiness]]:
    """Each group's current members' checklists, by home name: the same statements for one group
    or all of them (the programme report's)."""
    today = today or local_today()
    # joinedload: one statement however many members (selectinload splits its IN list every 500).
    members = list(db.session.scalars(select(Membership).options(joinedload(Membership.home)).where(
        Membership.group_id.in_(group_ids), Membership.is_member_on(today)))) if group_ids else []
    home_ids = list({m.home_id for m in members})
    recorded = _recorded([m.id for m in members])
    agreements = _current_agreements(home_ids)
    started = _first_rounds(home_ids)
    tested = latest_tests(home_ids)
    by_group: dict[int, list[HomeReadiness]] = {}
    for m in sorted(members, key=lambda m: (m.home.name, m.home_id)):
        by_group.setdefault(m.group_id, []).append(HomeReadiness(m.home_id, m.home.name, _items(
            recorded.get(m.id), agreements.get(m.home_id, []), started.get(m.home_id), tested.get(m.home_id),
            today)))
    return by_group


def _recorded(membership_ids: list[int]) -> dict[int, MembershipReadiness]:
    if not membership_ids:
        return {}
    rows = db.session.scalars(select(MembershipReadiness).options(joinedload(MembershipReadiness.champion))
                              .where(MembershipReadiness.membership_id.in_(membership_ids)))
    return {r.membership_id: r for r in rows}


def _current_agreements(home_ids: list[int]) -> dict[int, list[Agreement]]:
    """Each home's agreements not superseded, newest first."""
    found: dict[int, list[Agreement]] = {}
    if home_ids:
        for a in db.session.scalars(select(Agreement).where(
                Agreement.home_id.in_(home_ids), Agreement.status != AgreementStatus.SUPERSEDED)
                .order_by(Agreement.created_at.desc(), Agreement.id.desc())):
            found.setdefault(a.home_id, []).append(a)
    return found


def _first_rounds(home_ids: list[int]) -> dict[int, date]:
    if not home_ids:
        return {}
    return dict(db.session.execute(select(Assessment.home_id, func.min(Assessment.started_on))
                                   .where(Assessment.home_id.in_(home_ids)).group_by(Assessment.home_id)).all())


def _items(row: MembershipReadiness | None, agreements: list[Agreement], started: date | None,
           tested: DeviceTest | None, today: date) -> dict[str, Item]:
    champion = row.champion if row is not None else None
    agreed = next((a for a in agreements if a.status in AGREED_STATUSES and a.review_on >= today), None)
    sponsor = next((a.sponsor_name for a in agreements if a.sponsor_name), None)
    waiting = agreements[0].state(today).label.lower() if agreements else "no agreement yet"
    visited_on = row.visited_on if row else None
    met_on = row.met_manager_on if row else None
    return {
        "visited": Item(visited_on is not None, visited_on, (row.visited_by if row else "") or None),
        "met_manager": Item(met_on is not None, met_on),
        "sponsor": Item(sponsor is not None, detail=sponsor or "no sponsor named yet"),
        "agreement": Item(agreed is not None, agreed.agreed_on if agreed else None,
                          f"review on {agreed.review_on:%-d %B %Y}" if agreed else waiting),
        "champion": Item(bool(champion and champion.is_active), detail=champion.name if champion else None),
        "device_tested": _device_item(tested, row.device_tested_on if row else None),
        "first_assessment": Item(started is not None, started, None if started else NOT_RECORDED),
    }


def _device_item(tested: DeviceTest | None, recorded_on: date | None) -> Item:
    """The home's latest "Test this iPad", else the test the facilitator recorded, else not yet."""
    if tested is not None:
        return Item(True, as_local(tested.tested_at).date(), tested.family)
    if recorded_on is not None:
        return Item(True, recorded_on, "recorded by the facilitator")
    return Item(False, None, NOT_RECORDED)


def current_record(group: Group, home_id: int) -> MembershipReadiness | None:
    """What was recorded for the home's current membership of the group (None: nothing yet).
    A home that is not a current member is refused, as in :func:`record_readiness`."""
    membership = _current_membership(group, home_id)
    return _recorded([membership.id]).get(membership.id)


def readiness_problems(home_id: int, changes: dict[str, Any]) -> dict[str, str]:
    """Every problem with the changes at once, by field (nothing changes; None values are blanks)."""
    today = local_today()
    problems = {name: "Choose a date between 1900 and today."
                for name in ("visited_on", "met_manager_on", "device_tested_on")
                if changes.get(name) is not None and not FIRST_DAY <= changes[name] <= today}
    champion_id = changes.get("champion_contact_id")
    if champion_id is not None:
        contact = db.session.get(Contact, champion_id)
        if contact is None or contact.home_id != home_id or not contact.is_active:
            problems["champion_contact_id"] = "Not an active contact of this home."
    return problems


def record_readiness(group: Group, home_id: int, changes: dict[str, Any]) -> MembershipReadiness:
    """Change what the facilitator records for the home's current membership (every problem at once)."""
    membership = _current_membership(group, home_id)
    problems = readiness_problems(home_id, changes)
    if problems:
        raise DomainError("Some fields are not valid.", problems)
    row = _recorded([membership.id]).get(membership.id) or MembershipReadiness(membership_id=membership.id)
    for name, value in changes.items():
        if name == "visited_by":
            value = " ".join((value or "").split())[:200]
        setattr(row, name, value)
    row.updated_at = now_utc()
    db.session.add(row)
    db.session.flush()
    return row


def _current_membership(group: Group, home_id: int) -> Membership:
    membership = db.session.scalar(select(Membership).where(
        Membership.group_id == group.id, Membership.home_id == home_id,
        Membership.is_member_on(local_today())))
    if membership is None:
        raise DomainError("This home is not a member of this group.", {"home_id": "Not a current member."})
    return membership
