"""A realistic demo: care homes across Scotland, three PSL groups, and one of each role."""

from __future__ import annotations

from datetime import date, timedelta

from facilitator.admin import services
from facilitator.admin.services import ContactData
from facilitator.clock import local_today
from facilitator.models import Role

STAFF = [
    ("admin@demo.facilitator.scot", "Morag Campbell", Role.ADMIN),
    ("lead@demo.facilitator.scot", "Iain MacLeod", Role.LEAD),
    ("supervisor@demo.facilitator.scot", "Dr Ruth Sinclair", Role.SUPERVISOR),
    ("facilitator@demo.facilitator.scot", "Ailsa Fraser", Role.FACILITATOR),
    ("facilitator2@demo.facilitator.scot", "Callum Reid", Role.FACILITATOR),
]

HOMES = [
    ("Ardenlea House", "Glasgow", 48, True),
    ("Bellfield Court", "Edinburgh", 62, True),
    ("Craigmhor Care Home", "Highland", 30, False),
    ("Dunvegan Lodge", "Highland", 24, True),
    ("Eastwood Park", "East Renfrewshire", 55, False),
    ("Fairhaven Nursing Home", "Fife", 40, True),
    ("Glenisla House", "Angus", 36, False),
    ("Hawthorn Bank", "Dumfries and Galloway", 28, True),
    ("Inchmarlo Care", "Aberdeenshire", 70, False),
    ("Taigh na Mara", "Na h-Eileanan Siar", 18, True),
    ("Kelvin View", "Glasgow", 64, False),
    ("Lochside Manor", "Argyll and Bute", 32, True),
]

FIRST = ["Fiona", "Euan", "Kirsty", "Graeme", "Shona", "Alasdair", "Catriona", "Douglas",
         "Eilidh", "Hamish", "Mhairi", "Ross", "Isla", "Stuart", "Lorna", "Neil"]
LAST = ["Stewart", "Robertson", "Thomson", "Murray", "Paterson", "Ross", "Grant", "Morrison"]
CONTACT_ROLES = ["manager", "team_leader", "care_worker", "senior_manager"]

GROUPS = [
    ("West of Scotland PSL – Spring cohort", "zoom", 90, [0, 4, 10, 11], 3),
    ("East and Fife PSL", "teams", 90, [1, 5, 6, 8], 3),
    ("Highlands and Islands PSL", "zoom", 75, [2, 3, 7, 9], 4),
]


def _contacts(index: int, home_name: str) -> list[ContactData]:
    slug = "".join(ch for ch in home_name.lower() if ch.isalnum())[:16]
    count = 2 + index % 3
    contacts = []
    for n in range(count):
        first, last = FIRST[(index * 3 + n) % len(FIRST)], LAST[(index + n) % len(LAST)]
        contacts.append(ContactData(f"{first} {last}", f"{first.lower()}.{last.lower()}@{slug}.example",
                                    CONTACT_ROLES[n % len(CONTACT_ROLES)]))
    return contacts


def load_demo(password: str) -> list[tuple[str, str]]:
    """Create the demo records (flushes; the caller commits). Returns (email, role) pairs."""
    users = {}
    for email, name, role in STAFF:
        users[role] = users.get(role) or []
        users[role].append(services.create_user(email, name, role.value, password))
    supervisor = users[Role.SUPERVISOR][0]
    for facilitator in users[Role.FACILITATOR]:
        services.update_user(facilitator, supervisor_id=supervisor.id)
    today = local_today()
    homes = []
    for index, (name, region, beds, agreed) in enumerate(HOMES):
        agreed_on = today - timedelta(days=60 + index * 7) if agreed else None
        homes.append(services.create_home(name, region, beds, agreed_on, "", _contacts(index, name)))
    _groups(users[Role.FACILITATOR], homes, today)
    _attendance_history(today)
    return [(email, role.value) for email, _, role in STAFF]


def _groups(facilitators: list, homes: list, today: date) -> None:
    for index, (name, provider, minutes, home_indexes, _weeks) in enumerate(GROUPS):
        group = services.create_group(name, provider, minutes,
                                      [facilitators[index % len(facilitators)].id])
        for n, home_index in enumerate(home_indexes):
            services.add_member(group, homes[home_index].id, today - timedelta(days=120 - n * 14))


# Each group's last eight weekly sessions and their registers, oldest first (P present, L late,
# E left early, A absent, X excused): one home of each group engaged, one at risk, one
# disengaged, so the leads' dashboard has something to show.
ATTENDANCE_PATTERNS = ["PPLPPEPP", "PPPPPPAA", "PLPAAAAA", "XPPAPPLP"]
HISTORY_WEEKS = 8


def _attendance_history(today: date) -> None:
    """Past sessions of every demo group, each with a register taken by its facilitator."""
    # Imported here so that the demo's own imports stay as they were (this area was added later).
    from datetime import UTC, datetime, time

    from sqlalchemy import select

    from facilitator.attendance import register as attendance
    from facilitator.clock import now_utc, zone
    from facilitator.extensions import db
    from facilitator.models import Group, MeetingSession

    now = now_utc()
    letters = {"P": "present", "L": "late", "E": "left_early", "A": "absent", "X": "excused"}
    for index, group in enumerate(db.session.scalars(select(Group).order_by(Group.id))):
        facilitator = group.facilitators[0]
        homes = sorted((m.home for m in group.memberships), key=lambda h: h.id)
        for week in range(HISTORY_WEEKS, 0, -1):
            local = datetime.combine(today - timedelta(weeks=week), time(10, 0), tzinfo=zone())
            starts_at = local.astimezone(UTC)
            session = MeetingSession(
                group=group, title="Peer Support and Learning", starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=group.default_duration_minutes),
                timezone=str(zone()), provider=group.provider, status="scheduled", sync_state="synced",
                sync_action="none", created_by_id=facilitator.id)
            db.session.add(session)
            db.session.flush()
            rows = []
            for n, home in enumerate(homes):
                pattern = ATTENDANCE_PATTERNS[(n + index) % len(ATTENDANCE_PATTERNS)]
                status = letters[pattern[HISTORY_WEEKS - week]]
                came = status in ("present", "late", "left_early")
                rows.append(attendance.RowInput(
                    home_id=home.id, status=status, staff_count=1 + (week + n) % 3 if came else 0,
                    engagement=1 + (week + n) % 4 if came else None,
                    senior_present=(week + n) % 2 == 0 if came else None,
                    comment="Shared a resident's care plan" if came and (week + n) % 5 == 0 else ""))
            attendance.save_register(session, rows, expected_version=0, user=facilitator, now=now)
