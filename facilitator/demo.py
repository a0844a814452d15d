"""A demo that shows every screen with something in it, on the embedded database.

Care homes across Scotland in three PSL groups, one account of each role, and around today:

- each group's last eight weekly sessions with their registers: in every group one home engaged,
  one at risk and one disengaged, so the leads' dashboard and the homes to contact have rows;
- yesterday's session of one group with no register yet (a register to take), and one imported
  from its Zoom report two days ago, with one person the import could not place;
- sessions this week and next, booked through the real booking service on a pasted meeting link
  (no provider keys are needed), one starting within the next quarter of an hour so its join
  page is live, their invitations queued in the outbox for the outbox worker;
- a supervision record long enough ago that the next is due, and a confidential note;
- a directory of real Scottish partner organisations, each home's council area, and one partner
  contact (``demo_partners``);
- a dozen real NTTP / NES / Scottish Government learning resources (``demo_resources``).
- six months of each home's monthly return of implementation indicators (``demo_indicators``);
- each group's pre questionnaire, the first group's post one, and pulses (``demo_questionnaires``).

Each facilitator's sessions are at different times: nobody is double-booked.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from facilitator.admin import services
from facilitator.admin.services import ContactData
from facilitator.attendance import imports, register
from facilitator.attendance.matching import merge_people
from facilitator.booking import services as booking
from facilitator.booking import times as booking_times
from facilitator.booking.clashes import overlaps
from facilitator.clock import local_today, now_utc, zone, zone_name
from facilitator.demo_indicators import load_indicators
from facilitator.demo_partners import load_partners
from facilitator.demo_questionnaires import load_questionnaires
from facilitator.demo_resources import load_resources
from facilitator.extensions import db
from facilitator.models import Group, MeetingSession, Role, User
from facilitator.models.attendance import ImportState
from facilitator.providers import hub
from facilitator.supervision import audit
from facilitator.supervision import services as supervision
from integrations.providers.base import AttendanceInterval, Participant

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

# name, minutes, member homes, facilitator (index), weekday and time of the weekly session. Ailsa
# runs two groups: on different days, so her sessions never overlap.
GROUPS = [
    ("West of Scotland PSL – Spring cohort", 90, [0, 4, 10, 11], 0, 1, time(10, 0)),
    ("East and Fife PSL", 90, [1, 5, 6, 8], 1, 1, time(10, 0)),
    ("Highlands and Islands PSL", 75, [2, 3, 7, 9], 0, 3, time(14, 0)),
]
# Each group's last eight weekly sessions, oldest first (P present, L late, E left early, A
# absent, X excused): one home of each group engaged, one at risk, one disengaged.
ATTENDANCE_PATTERNS = ["PPLPPEPP", "PPPPPPAA", "PLPAAAAA", "XPPAPPLP"]
HISTORY_WEEKS = 8
LETTERS = {"P": "present", "L": "late", "E": "left_early", "A": "absent", "X": "excused"}
MEETING_LINK = "https://meet.jit.si/facilitator-demo-{slug}"
ZOOM_MEETING_ID = "81234567890"


def load_demo(password: str) -> list[tuple[str, str]]:
    """Create the demo records (flushes; the caller commits). Returns (email, role) pairs."""
    users = _staff(password)
    homes = [services.create_home(name, region, beds, local_today() - timedelta(days=60 + i * 7)
                                  if agreed else None, "", _contacts(i, name))
             for i, (name, region, beds, agreed) in enumerate(HOMES)]
    groups = _groups(users[Role.FACILITATOR], homes)
    load_partners(homes, groups[1].facilitators[0])
    load_resources(groups[1].facilitators[0])
    for index, group in enumerate(groups):
        _history(group, index)
    _register_to_take(groups[1])
    _imported_from_zoom(groups[0])
    _upcoming(groups)
    _supervision(users[Role.FACILITATOR][0], users[Role.SUPERVISOR][0])
    load_indicators(groups, users[Role.FACILITATOR][0])
    load_questionnaires(groups)
    return [(email, role.value) for email, _, role in STAFF]


def _staff(password: str) -> dict[Role, list[User]]:
    users: dict[Role, list[User]] = {}
    for email, name, role in STAFF:
        users.setdefault(role, []).append(services.create_user(email, name, role.value, password))
    for facilitator in users[Role.FACILITATOR]:
        services.update_user(facilitator, supervisor_id=users[Role.SUPERVISOR][0].id)
    return users


def _contacts(index: int, home_name: str) -> list[ContactData]:
    slug = "".join(ch for ch in home_name.lower() if ch.isalnum())[:16]
    contacts = []
    for n in range(2 + index % 3):
        first, last = FIRST[(index * 3 + n) % len(FIRST)], LAST[(index + n) % len(LAST)]
        contacts.append(ContactData(f"{first} {last}", f"{first.lower()}.{last.lower()}@{slug}.example",
                                    CONTACT_ROLES[n % len(CONTACT_ROLES)]))
    return contacts


def _groups(facilitators: list[User], homes: list) -> list[Group]:
    pasted = next(name for name in hub().names() if hub().needs_join_url(name))
    groups = []
    for name, minutes, members, who, _weekday, _at in GROUPS:
        group = services.create_group(name, pasted, minutes, [facilitators[who].id])
        for n, home_index in enumerate(members):
            services.add_member(group, homes[home_index].id, local_today() - timedelta(days=120 - n * 14))
        groups.append(group)
    return groups


def _on(weekday: int, at: time, weeks_from_now: int) -> datetime:
    """The group's weekly slot: ``weekday`` (0 Monday) of the week ``weeks_from_now`` away."""
    today = local_today()
    day = today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_from_now)
    return booking_times.local_moment(day, at, zone_name())


def _past_session(group: Group, starts_at: datetime, title: str = "Peer Support and Learning",
                  provider: str | None = None, meeting_id: str | None = None) -> MeetingSession:
    """A session that already took place: recorded, never sent to a provider or invited."""
    session = MeetingSession(
        group=group, title=title, starts_at=starts_at.astimezone(UTC),
        ends_at=starts_at.astimezone(UTC) + timedelta(minutes=group.default_duration_minutes),
        timezone=zone_name(), provider=provider or group.provider, provider_meeting_id=meeting_id,
        status="scheduled", sync_state="synced", sync_action="none", created_by_id=group.facilitators[0].id)
    db.session.add(session)
    db.session.flush()
    return session


def _history(group: Group, index: int) -> None:
    """The last eight weekly sessions, each with a register taken by the group's facilitator."""
    facilitator = group.facilitators[0]
    _, _, _, _, weekday, at = GROUPS[index]
    homes = sorted((m.home for m in group.memberships), key=lambda h: h.id)
    for week in range(HISTORY_WEEKS, 0, -1):
        session = _past_session(group, _on(weekday, at, -week))
        rows = []
        for n, home in enumerate(homes):
            pattern = ATTENDANCE_PATTERNS[(n + index) % len(ATTENDANCE_PATTERNS)]
            status = LETTERS[pattern[HISTORY_WEEKS - week]]
            came = status in ("present", "late", "left_early")
            rows.append(register.RowInput(
                home_id=home.id, status=status, staff_count=1 + (week + n) % 3 if came else 0,
                engagement=1 + (week + n) % 4 if came else None,
                senior_present=(week + n) % 2 == 0 if came else None,
                comment="Shared a resident's care plan" if came and (week + n) % 5 == 0 else ""))
        register.save_register(session, rows, expected_version=0, user=facilitator, now=now_utc())


def _register_to_take(group: Group) -> None:
    yesterday = datetime.combine(local_today() - timedelta(days=1), time(15, 0), tzinfo=zone())
    _past_session(group, yesterday, "Trauma and older adults: what we noticed")


def _imported_from_zoom(group: Group) -> None:
    """Two days ago, on Zoom: its report imported, one person left for the facilitator to place."""
    starts = datetime.combine(local_today() - timedelta(days=2), time(16, 0), tzinfo=zone())
    session = _past_session(group, starts, "Staff wellbeing after a hard month", provider="zoom",
                            meeting_id=ZOOM_MEETING_ID)
    homes = sorted((m.home for m in group.memberships), key=lambda h: h.id)
    start = session.starts_at
    people = [(c.name, c.email, 5, 85) for c in (homes[0].contacts[0], homes[1].contacts[0])]
    people.append(("Lounge iPad", None, 20, 60))  # a shared device: no email, a name no home has
    report = [Participant(name, email, None, [AttendanceInterval(start + timedelta(minutes=a),
                                                                 start + timedelta(minutes=b))])
              for name, email, a, b in people]
    imports.apply_import(session, merge_people(report, session.ends_at), source="zoom", now=now_utc(),
                         rules=imports.current_rules())
    done = imports.queue_import(session, now=now_utc())  # as the import worker leaves it
    done.state, done.finished_at, done.attempts = ImportState.DONE.value, now_utc(), 1


def _upcoming(groups: list[Group]) -> None:
    """Two weekly sessions of each group from this week, through the booking service, invitations
    and all. The first group's first one starts within the quarter hour, so its join links work
    now; a series that would overlap its facilitator's other sessions starts a week later."""
    now = now_utc()
    soon = (now + timedelta(minutes=10)).replace(second=0, microsecond=0)
    for index, group in enumerate(groups):
        _, minutes, _, _, weekday, at = GROUPS[index]
        first = soon if index == 0 else _on(weekday, at, 0)
        while first <= now or overlaps(group.facilitators[0], [first, first + timedelta(weeks=1)], minutes):
            first += timedelta(weeks=1)
        slug = "".join(ch for ch in group.name.lower() if ch.isalnum())[:24]
        request = booking.Booking(title=f"{group.name.split(' PSL')[0]} PSL session", starts_at=first,
                                  duration_minutes=minutes, join_url=MEETING_LINK.format(slug=slug),
                                  every="week", count=2)
        booking.book_sessions(group.facilitators[0], group, request, hub(), zone=zone_name(), now=now)


def _supervision(facilitator: User, supervisor: User) -> None:
    """Supervision six weeks ago (so the next is due) and a confidential note on a past session."""
    held = local_today() - timedelta(weeks=6)
    data = supervision.RecordInput(
        held_on=held, minutes=60, format="one_to_one", supervisor_id=supervisor.id,
        themes=["Engaging care homes", "My wellbeing and self-care"],
        reflections="Two homes dropped off after outbreaks; I want to plan how to reach out.",
        actions=[supervision.ActionInput("Phone the managers of the homes at risk")], shared=True)
    supervision.record_supervision(facilitator, data, audit.CLI, local_today())
    session = db.session.scalar(select(MeetingSession).join(Group).where(
        Group.facilitators.contains(facilitator), MeetingSession.starts_at < now_utc())
        .order_by(MeetingSession.starts_at.desc()).limit(1))
    if session is not None:
        supervision.create_note(facilitator, session.id, "Quiet session; one manager spoke about a "
                                "resident's distress at night. Follow up gently next time.", audit.CLI)

