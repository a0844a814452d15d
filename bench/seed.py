"""A national-scale dataset, written with bulk inserts (SQLAlchemy Core ``insert()`` with lists of
rows: one executemany per chunk, never the ORM one row at a time).

At full scale (``Spec()``): 1,000 care homes with 3,000 contacts, 40 groups of 25 homes, 50
facilitators, 5 leads, 5 supervisors; 100 weekly sessions per group (96 past, one that started
five minutes ago, three to come), a register for every past session (about 96,000 attendance
rows, with homes that drift away, join late, leave, or come when they can), 20,000 join records,
5,000 confidential notes sealed with the notes crypto (``facilitator.supervision.crypto``), a
monthly supervision record per facilitator, and issue 18's apologies (about one absence in six
becomes excused with an Apology row), pauses (one home in 40) and open follow-ups
(``bench/seed_engagement.py``).

Links are stored as the app stores them: only the SHA-256 of each join, personal-link, session and
API token. The raw values are handed back in a :class:`World` so the benchmark and the load test
can act as the people who got them: every contact's personal link (feeds), a join link for every
contact invited to the session in progress, and a signed-in session and an API token per staff user.

``populate`` writes into an existing, migrated schema (the tests use it on their own database);
``fresh_database`` makes a new SQLite file or PostgreSQL schema and migrates it first.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bench.seed_engagement import seed_engagement
from bench.seed_journey import seed_journey
from bench.seed_questionnaires import seed_questionnaires
from facilitator.auth import mfa, totp
from facilitator.models import (
    Agreement,
    ApiToken,
    CareHome,
    Contact,
    ContactToken,
    Group,
    InvitationToken,
    InviteDelivery,
    JoinRecord,
    LinkKind,
    MeetingSession,
    Membership,
    SessionNote,
    SupervisionRecord,
    User,
    UserSession,
    group_facilitators,
)
from facilitator.models.attendance import AttendanceEntry, AttendanceRegister, AttendanceRevision
from facilitator.recurrence import add_months
from facilitator.supervision.crypto import Keyring

PASSWORD = "bench-password-for-every-account"  # noqa: S105 - the seeded accounts' shared password
TIMEZONE = "Europe/London"
CHUNK = 5000
REGIONS = ["Glasgow", "Edinburgh", "Fife", "Highland", "Lothian", "Lanarkshire", "Grampian", "Tayside",
           "Ayrshire and Arran", "Borders", "Dumfries and Galloway", "Forth Valley", "Orkney", "Shetland"]
HOME_WORDS = ["Ard", "Bell", "Craig", "Dun", "Glen", "Kil", "Loch", "Strath", "Inver", "Auchen", "Bal",
              "Fair", "Kelvin", "Ash", "Rowan", "Birch"]
HOME_ENDS = ["lea House", "field Court", "mhor Care Home", "vegan Lodge", "wood Park", "haven", "isla House",
             "bank", "marlo Care", "view", "side Manor", "burn Nursing Home"]
FIRST = ["Fiona", "Euan", "Kirsty", "Graeme", "Shona", "Alasdair", "Catriona", "Douglas", "Eilidh", "Hamish",
         "Mhairi", "Ross", "Isla", "Stuart", "Lorna", "Neil", "Ailsa", "Callum", "Morag", "Iain"]
LAST = ["Stewart", "Robertson", "Thomson", "Murray", "Paterson", "Ross", "Grant", "Morrison", "Fraser",
        "Reid", "Campbell", "MacLeod", "Sinclair", "Duncan"]
CONTACT_ROLES = ["manager", "team_leader", "care_worker"]
AGENTS = ["Safari on iPad", "Safari on iPad", "Safari on iPad", "Chrome on Windows", "Edge on Windows",
          "Chrome on Android", "Safari on iPhone"]
NOTE_TEXT = ("Reflection after the session: {home} talked about a resident who was distressed at night and "
             "how the team used what they had learnt about trauma to respond. Follow up on protected time "
             "with the manager; staffing was short again this week. Session {n}.")
THEMES = ["boundaries", "vicarious trauma", "group dynamics", "engagement", "self-care", "leadership"]


@dataclass(frozen=True)
class Spec:
    """How much to seed. ``Spec()`` is the national roll-out; ``Spec.at(0.1)`` a tenth of it."""

    homes: int = 1000
    contacts_per_home: int = 3
    homes_per_group: int = 25
    sessions_per_group: int = 100
    future_sessions: int = 3  # sessions still to come, after the one in progress
    facilitators: int = 50
    leads: int = 5
    supervisors: int = 5
    join_records: int = 20_000
    notes: int = 5_000
    random_seed: int = 7

    @classmethod
    def at(cls, fraction: float, **overrides: Any) -> Spec:
        """Every count scaled by ``fraction``; the history (sessions per group) stays two years."""
        spec = cls(homes=max(5, round(1000 * fraction)), facilitators=max(2, round(50 * fraction)),
                   leads=max(1, round(5 * fraction)), supervisors=max(1, round(5 * fraction)),
                   join_records=round(20_000 * fraction), notes=round(5_000 * fraction))
        return cls(**{**asdict(spec), **overrides})

    @property
    def groups(self) -> int:
        return max(1, math.ceil(self.homes / self.homes_per_group))

    @property
    def current_index(self) -> int:
        """The index (in each group's series) of the session in progress."""
        return self.sessions_per_group - self.future_sessions - 1


@dataclass
class Staff:
    id: int
    email: str
    role: str
    sid: str  # the signed-in session's id (the cookie holds it; the database only its hash)
    api_token: str


@dataclass
class JoinLink:
    token: str
    session_id: int
    contact_id: int
    home_id: int
    group_id: int


@dataclass
class GroupInfo:
    id: int
    facilitator_ids: list[int]
    home_ids: list[int]
    current_session_id: int
    past_session_ids: list[int]  # oldest first; every one has a register
    future_session_ids: list[int]


@dataclass
class World:
    """What a benchmark needs to act as the seeded people (raw tokens included)."""

    now: str
    spec: dict[str, Any]
    admin: Staff
    leads: list[Staff]
    facilitators: list[Staff]
    groups: list[GroupInfo]
    contact_tokens: list[str]  # one feed link per contact: /feeds/<token>.ics
    join_links: list[JoinLink]  # every invited contact's link to the session in progress
    home_link: str = ""  # one contact's home page link, /h/<token> (bench/seed_journey.py)
    questionnaire_round_id: int = 0  # the first group's post round (bench/seed_questionnaires.py)
    counts: dict[str, int] = field(default_factory=dict)

    def facilitator(self, user_id: int) -> Staff:
        return next(f for f in self.facilitators if f.id == user_id)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def bulk_insert(connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> int:
    """One executemany per chunk of rows (PostgreSQL batches them into multi-row VALUES)."""
    for chunk in _chunks(rows):
        connection.execute(sa.insert(table), chunk)
    return len(rows)


class _Ids:
    """Explicit primary keys, carrying on after whatever the table already holds."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.next: dict[str, int] = {}

    def take(self, table: sa.Table) -> int:
        if table.name not in self.next:
            current = self.connection.execute(sa.select(sa.func.max(table.c.id))).scalar()
            self.next[table.name] = (current or 0) + 1
        value = self.next[table.name]
        self.next[table.name] += 1
        return value


def populate(connection: Connection, spec: Spec, keyring: Keyring, *, password_hash: str,
             now: datetime | None = None, current_start: datetime | None = None) -> World:
    """Insert the dataset into the (migrated) database of ``connection``; the caller commits."""
    return _Seeder(connection, spec, keyring, password_hash, now or _now(), current_start).run()


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class _Seeder:
    def __init__(self, connection: Connection, spec: Spec, keyring: Keyring, password_hash: str,
                 now: datetime, current_start: datetime | None) -> None:
        self.c = connection
        self.spec = spec
        self.keyring = keyring
        self.password_hash = password_hash
        # Staff have two-step sign-in set up (the default policy needs it, API tokens included).
        self.totp_secret = mfa.encrypt_secret(totp.new_secret())
        self.now = now
        self.current_start = current_start or now - timedelta(minutes=5)
        self.rng = random.Random(spec.random_seed)
        self.ids = _Ids(connection)
        self.counts: dict[str, int] = {}
        self.zone = ZoneInfo(TIMEZONE)

    def insert(self, model: Any, rows: list[dict[str, Any]]) -> None:
        table = model if isinstance(model, sa.Table) else model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + bulk_insert(self.c, table, rows)

    def run(self) -> World:
        staff = self._users()
        homes, contacts = self._homes()
        home_link = seed_journey(self.insert, self.ids.take, homes, contacts, self.rng, self.now,
                                 self.now.astimezone(self.zone).date())
        groups = self._groups(staff, homes)
        self._sessions(groups)
        self._memberships(groups)
        self._registers(groups, contacts)
        round_id = seed_questionnaires(self.insert, self.ids.take, groups, contacts, self.rng, self.now,
                                       self.now.astimezone(self.zone).date())
        seed_engagement(self.c, self.insert, self.ids.take, self.rng, self.now, contacts)
        join_links = self._invitations(groups, contacts)
        contact_tokens = self._contact_tokens(contacts)
        self._notes(groups)
        self._supervision(staff)
        reset_sequences(self.c)
        return World(
            now=self.now.isoformat(), spec=asdict(self.spec), admin=staff["admin"][0], leads=staff["lead"],
            facilitators=staff["facilitator"],
            groups=[GroupInfo(g["id"], g["facilitators"], [h["id"] for h in g["homes"]],
                              g["sessions"][self.spec.current_index]["id"],
                              [s["id"] for s in g["sessions"][:self.spec.current_index]],
                              [s["id"] for s in g["sessions"][self.spec.current_index + 1:]])
                    for g in groups],
            contact_tokens=contact_tokens, join_links=join_links, home_link=home_link,
            questionnaire_round_id=round_id, counts=dict(self.counts))

    # People ------------------------------------------------------------------------------------

    def _users(self) -> dict[str, list[Staff]]:
        spec, table = self.spec, User.__table__
        plan = ([("supervisor", n) for n in range(spec.supervisors)] + [("admin", 0)]
                + [("lead", n) for n in range(spec.leads)] + [("facilitator",
                                                               n) for n in range(spec.facilitators)])
        rows, staff, sessions, tokens = [], {"supervisor": [], "admin": [], "lead": [],
                                             "facilitator": []}, [], []
        supervisor_ids: list[int] = []
        created = self.now - timedelta(days=800)
        for role, n in plan:
            user_id = self.ids.take(table)
            supervised = role == "facilitator" and supervisor_ids
            supervisor = supervisor_ids[n % len(supervisor_ids)] if supervised else None
            email = f"{role}{n + 1}@bench.example"
            rows.append({"id": user_id, "email": email,
                         "name": f"{FIRST[n % 20]} {LAST[(n + 3) % 14]} ({role})",
                         "role": role, "password_hash": self.password_hash, "is_active": True,
                         "supervisor_id": supervisor, "created_at": created,
                         "totp_secret_encrypted": self.totp_secret, "totp_enabled_at": created})
            if role == "supervisor":
                supervisor_ids.append(user_id)
            sid, api = secrets.token_urlsafe(32), "fac_" + secrets.token_urlsafe(32)
            sessions.append({"id": self.ids.take(UserSession.__table__), "token_hash": sha256(sid),
                             "user_id": user_id, "created_at": self.now, "last_seen_at": self.now,
                             "ip_address": "127.0.0.1", "user_agent": "bench", "mfa_method": "totp"})
            tokens.append({"id": self.ids.take(ApiToken.__table__), "token_hash": sha256(api),
                           "user_id": user_id, "label": "bench", "created_at": self.now,
                           "expires_at": self.now + timedelta(days=90)})
            staff[role].append(Staff(user_id, email, role, sid, api))
        self.insert(User, rows)
        self.insert(UserSession, sessions)
        self.insert(ApiToken, tokens)
        return staff

    def _homes(self) -> tuple[list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
        homes, contacts, agreements = [], {}, []
        rows: list[dict[str, Any]] = []
        for n in range(self.spec.homes):
            home_id = self.ids.take(CareHome.__table__)
            name = f"{HOME_WORDS[n % 16]}{HOME_ENDS[(n // 16) % 12]} {n + 1}"
            agreed = date(2024, 9, 1) + timedelta(days=n % 200) if self.rng.random() < 0.6 else None
            homes.append({"id": home_id, "name": name, "region": REGIONS[n % len(REGIONS)],
                          "beds": 20 + n % 60, "notes": "", "created_at": self.now - timedelta(days=760)})
            if agreed is not None:
                agreements.append(_agreement(self.ids.take(Agreement.__table__), home_id, agreed, self.now))
            contacts[home_id] = []
            for i in range(self.spec.contacts_per_home):
                first, last = FIRST[(n + i * 7) % 20], LAST[(n * 3 + i) % 14]
                contact = {"id": self.ids.take(Contact.__table__), "home_id": home_id,
                           "name": f"{first} {last}",
                           "email": f"{first.lower()}.{last.lower()}.{i}@home{n + 1}.example",
                           "role": CONTACT_ROLES[i % 3], "is_active": True,
                           "created_at": self.now - timedelta(days=760)}
                contacts[home_id].append(contact)
                rows.append(contact)
        self.insert(CareHome, homes)
        self.insert(Agreement, agreements)
        self.insert(Contact, rows)
        return homes, contacts

    def _groups(self, staff: dict[str, list[Staff]], homes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        spec, facilitators = self.spec, staff["facilitator"]
        groups, rows, links = [], [], []
        for n in range(spec.groups):
            group_id = self.ids.take(Group.__table__)
            lead = facilitators[n % len(facilitators)].id
            team = [lead]
            # Facilitators beyond one per group co-facilitate: 50 facilitators, 40 groups.
            extra = n + spec.groups
            if extra < len(facilitators):
                team.append(facilitators[extra].id)
            rows.append({"id": group_id, "name": f"PSL {REGIONS[n % len(REGIONS)]} cohort {n + 1}",
                         "provider": "zoom", "default_duration_minutes": 90,
                         "created_at": self.now - timedelta(days=770)})
            links += [{"group_id": group_id, "user_id": user_id} for user_id in team]
            members = homes[n * spec.homes_per_group:(n + 1) * spec.homes_per_group]
            groups.append({"id": group_id, "facilitators": team, "homes": members, "sessions": []})
        self.insert(Group, rows)
        self.insert(group_facilitators, links)
        return groups

    # Sessions and who belonged when ----------------------------------------------------------------

    def _sessions(self, groups: list[dict[str, Any]]) -> None:
        spec, rows = self.spec, []
        local_current = self.current_start.astimezone(self.zone)
        created = self.now - timedelta(days=7 * spec.sessions_per_group + 14)
        for group in groups:
            for k in range(spec.sessions_per_group):
                local = (local_current.replace(tzinfo=None) + timedelta(weeks=k - spec.current_index))
                starts = local.replace(tzinfo=self.zone).astimezone(UTC)
                session_id = self.ids.take(MeetingSession.__table__)
                meeting = f"8{session_id:010d}"
                row = {"id": session_id, "group_id": group["id"], "series_id": f"series-{group['id']:08d}",
                       "title": f"PSL session {k + 1}", "starts_at": starts,
                       "ends_at": starts + timedelta(minutes=90),
                       "timezone": TIMEZONE, "starts_on": local.date(), "status": "scheduled",
                       "provider": "zoom",
                       "provider_meeting_id": meeting, "join_url": f"https://us02web.zoom.us/j/{meeting}?pwd=bench",
                       "passcode": "482913", "dial_in": "+44 131 460 1196", "sync_state": "synced",
                       "sync_action": "none", "sync_attempts": 1, "create_maybe_sent": False,
                       "ical_uid": f"bench-{session_id}@facilitator", "sequence": 0, "version": 1,
                       "created_by_id": group["facilitators"][0], "created_at": created,
                       "updated_at": created}
                rows.append(row)
                group["sessions"].append({"id": session_id, "k": k, "starts": starts, "day": local.date()})
        self.insert(MeetingSession, rows)

    def _memberships(self, groups: list[dict[str, Any]]) -> None:
        """Most homes stay all along; in every group some drift away, some stop coming, some come
        when they can; outside the first group some join late and some leave. Which home does what
        is fixed by its place in the group (so even a 5-home group has a home to worry about);
        when is random."""
        rows, current = [], self.spec.current_index
        for index, group in enumerate(groups):
            days = [s["day"] for s in group["sessions"]]
            for place, home in enumerate(group["homes"]):
                profile = _profile(place, first_group=index == 0, history=current)
                joined, left = days[0] - timedelta(days=7), None
                if profile == "late":
                    joined = days[self.rng.randrange(current // 5, current // 2)] - timedelta(days=1)
                elif profile == "withdrawn":
                    left = days[self.rng.randrange(current // 3, current - 3)] + timedelta(days=1)
                # Drifting and gone homes change course at least four sessions before today.
                drift_from = self.rng.randrange(max(1, current // 3), max(2, current - 4))
                home.update(profile=profile, joined=joined, left=left, drift_from=drift_from)
                rows.append({"id": self.ids.take(Membership.__table__), "group_id": group["id"],
                             "home_id": home["id"], "joined_on": joined, "left_on": left})
        self.insert(Membership, rows)

    def _attends(self, home: dict[str, Any], k: int) -> bool:
        profile, since = home["profile"], k - home["drift_from"]
        if profile == "gone":
            chance = 0.9 if since < 0 else 0.0
        elif profile == "drifting":
            chance = max(0.1, 0.9 - max(0, since) * 0.12)
        elif profile == "sporadic":
            chance = 0.45
        elif profile == "withdrawn":
            chance = 0.6
        else:
            chance = 0.88
        return self.rng.random() < chance

    # Registers --------------------------------------------------------------------------------------

    def _registers(self, groups: list[dict[str, Any]], contacts: dict[int, list[dict[str, Any]]]) -> None:
        registers, revisions, entries, attended = [], [], [], []
        for group in groups:
            facilitator = group["facilitators"][0]
            for session in group["sessions"][:self.spec.current_index]:
                taken = session["starts"] + timedelta(hours=3)
                register_id = self.ids.take(AttendanceRegister.__table__)
                registers.append({"id": register_id, "session_id": session["id"], "version": 1,
                                  "taken_at": taken,
                                  "taken_by_id": facilitator, "created_at": taken, "updated_at": taken})
                snapshot = {}
                for home in group["homes"]:
                    if not (home["joined"] <= session["day"] and (home["left"] is None
                                                                 or session["day"] < home["left"])):
                        continue
                    entry = self._entry(session, home, facilitator, taken)
                    entries.append(entry)
                    snapshot[str(home["id"])] = {name: entry[name] for name in
                                                 ("status", "staff_count", "engagement", "comment",
                                                  "senior_present")}
                    if entry["status"] in ("present", "late", "left_early"):
                        attended.append((session, home))
                revisions.append({"id": self.ids.take(AttendanceRevision.__table__),
                                  "register_id": register_id,
                                  "version": 1, "entries": snapshot, "source": "manual",
                                  "saved_by_id": facilitator, "saved_at": taken})
        self.insert(AttendanceRegister, registers)
        self.insert(AttendanceEntry, entries)
        self.insert(AttendanceRevision, revisions)
        self._joins(attended, contacts)

    def _entry(self, session: dict[str, Any], home: dict[str, Any], facilitator: int,
               taken: datetime) -> dict[str, Any]:
        rng = self.rng
        came = self._attends(home, session["k"])
        if came:
            status = rng.choices(["present", "late", "left_early"], [80, 12, 8])[0]
        else:
            status = rng.choices(["absent", "excused"], [85, 15])[0]
        source = "zoom" if rng.random() < 0.3 else "manual"
        return {"id": self.ids.take(AttendanceEntry.__table__), "session_id": session["id"],
                "home_id": home["id"],
                "status": status, "staff_count": rng.randint(1, 6) if came else None,
                "engagement": rng.choices([1, 2, 3, 4], [20, 45, 25, 10])[0] if came else None,
                "senior_present": (rng.random() < 0.6) if came and rng.random() < 0.9 else None,
                "comment": "Short of staff this week." if rng.random() < 0.03 else "", "source": source,
                "minutes_attended": rng.randint(45, 90) if came and source == "zoom" else None,
                "first_joined_at": session["starts"] + timedelta(minutes=rng.randint(-3,
                                                                                     12)) if came else None,
                "recorded_by_id": facilitator, "recorded_at": taken, "proposed_status": None,
                "proposed_staff_count": None, "proposed_source": None}

    def _joins(self, attended: list[tuple[dict[str, Any], dict[str, Any]]],
               contacts: dict[int, list[dict[str, Any]]]) -> None:
        picks = self.rng.sample(attended, min(self.spec.join_records, len(attended)))
        rows = []
        for session, home in picks:
            contact = self.rng.choice(contacts[home["id"]])
            rows.append({"id": self.ids.take(JoinRecord.__table__), "session_id": session["id"],
                         "home_id": home["id"], "contact_id": contact["id"],
                         "joined_at": session["starts"] - timedelta(minutes=self.rng.randint(-10, 12)),
                         "user_agent_family": self.rng.choice(AGENTS), "in_window": True,
                         "via": "email" if self.rng.random() < 0.8 else "home"})
        self.insert(JoinRecord, rows)

    # Links ------------------------------------------------------------------------------------------

    def _invitations(self, groups: list[dict[str, Any]],
                     contacts: dict[int, list[dict[str, Any]]]) -> list[JoinLink]:
        """Invites (sent) and join links for the session in progress and those to come."""
        deliveries, tokens, links = [], [], []
        sent = self.now - timedelta(days=20)
        for group in groups:
            for session in group["sessions"][self.spec.current_index:]:
                for home in group["homes"]:
                    if home["left"] is not None and home["left"] <= session["day"]:
                        continue
                    for contact in contacts[home["id"]]:
                        deliveries.append({
                            "id": self.ids.take(InviteDelivery.__table__), "session_id": session["id"],
                            "contact_id": contact["id"], "email": contact["email"], "method": "REQUEST",
                            "invited_at": sent, "status": "sent", "sequence": 0, "sent_at": sent,
                            "updated_at": sent})
                        token = secrets.token_urlsafe(32)
                        tokens.append({"id": self.ids.take(InvitationToken.__table__),
                                       "token_hash": sha256(token),
                                       "session_id": session["id"], "contact_id": contact["id"],
                                       "created_at": sent})
                        if session["k"] == self.spec.current_index:
                            links.append(JoinLink(token, session["id"], contact["id"], home["id"],
                                                  group["id"]))
        self.insert(InviteDelivery, deliveries)
        self.insert(InvitationToken, tokens)
        return links

    def _contact_tokens(self, contacts: dict[int, list[dict[str, Any]]]) -> list[str]:
        rows, raw = [], []
        for people in contacts.values():
            for contact in people:
                token = secrets.token_urlsafe(32)
                raw.append(token)
                rows.append({"id": self.ids.take(ContactToken.__table__), "token_hash": sha256(token),
                             "contact_id": contact["id"], "kind": LinkKind.FEED.value,
                             "created_at": self.now - timedelta(days=20), "last_used_at": None})
        self.insert(ContactToken, rows)
        return raw

    # Confidential records ---------------------------------------------------------------------------

    def _notes(self, groups: list[dict[str, Any]]) -> None:
        rows = []
        past = [(group,
                 session) for group in groups for session in group["sessions"][:self.spec.current_index]]
        for n in range(self.spec.notes):
            group, session = past[self.rng.randrange(len(past))]
            author = group["facilitators"][0]
            home = self.rng.choice(group["homes"]) if self.rng.random() < 0.6 else None
            note_id = self.ids.take(SessionNote.__table__)
            aad = SessionNote(id=note_id, author_id=author).associated_data()
            text = NOTE_TEXT.format(home=home["name"] if home else "The group", n=n)
            key_id, blob = self.keyring.encrypt(text.encode(), aad)
            written = session["starts"] + timedelta(hours=4)
            rows.append({"id": note_id, "author_id": author, "session_id": session["id"],
                         "home_id": home["id"] if home else None,
                         "is_shared_with_supervisor": self.rng.random() < 0.2, "ciphertext": blob,
                         "key_id": key_id,
                         "created_at": written, "updated_at": written})
        self.insert(SessionNote, rows)

    def _supervision(self, staff: dict[str, list[Staff]]) -> None:
        rows, months = [], max(1, self.spec.sessions_per_group // 5)
        supervisors = [s.id for s in staff["supervisor"]]
        for n, facilitator in enumerate(staff["facilitator"]):
            for m in range(months):
                held = (self.now - timedelta(days=30 * (months - m) - 3)).date()
                record_id = self.ids.take(SupervisionRecord.__table__)
                aad = SupervisionRecord(id=record_id, facilitator_id=facilitator.id).associated_data()
                payload = json.dumps({"themes": self.rng.sample(THEMES, 2),
                                      "reflections": "Talked through a hard session and what I carried."})
                key_id, blob = self.keyring.encrypt(payload.encode(), aad)
                at = datetime.combine(held, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15)
                rows.append({"id": record_id, "facilitator_id": facilitator.id,
                             "supervisor_id": supervisors[n % len(supervisors)] if supervisors else None,
                             "external_supervisor": None, "held_on": held, "minutes": 60,
                             "format": "one_to_one",
                             "next_on": held + timedelta(days=30), "is_shared_with_supervisor": m % 2 == 0,
                             "ciphertext": blob, "key_id": key_id, "created_at": at, "updated_at": at})
        self.insert(SupervisionRecord, rows)


def _profile(place: int, *, first_group: bool, history: int) -> str:
    """What a home does over the two years, by its place in its group."""
    if place % 10 == 3:
        return "gone"  # stops coming altogether
    if place % 10 == 6:
        return "drifting"  # comes less and less
    if place % 12 == 9:
        return "sporadic"
    if not first_group and history > 12:  # the first group is the full 25-home register measured
        if place % 25 == 11:
            return "late"
        if place % 25 in (17, 22):
            return "withdrawn"
    return "steady"


def reset_sequences(connection: Connection) -> None:
    """PostgreSQL: point each id sequence past the explicit ids (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    from facilitator.models import Base

    for table in Base.metadata.sorted_tables:
        column = table.c.get("id")
        if column is None or not column.autoincrement or not isinstance(column.type, sa.Integer):
            continue
        sequence = connection.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                                      {"t": table.name}).scalar()
        if sequence:
            # Names from our own metadata and pg_get_serial_sequence, not from input.
            top = connection.execute(sa.select(sa.func.max(column))).scalar() or 1
            connection.execute(sa.text("SELECT setval(:sequence, :top)"), {"sequence": sequence, "top": top})


# A fresh database ---------------------------------------------------------------------------------

def fresh_database(url: str, schema: str = "") -> None:
    """Empty the target: delete a SQLite file, or drop and create a PostgreSQL schema."""
    if url.startswith("sqlite"):
        from pathlib import Path

        path = Path(sa.engine.make_url(url).database or "")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def drop_schema(url: str, schema: str) -> None:
    if url.startswith("sqlite") or not schema:
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def seed_app(app: Any, spec: Spec, *, migrate: bool = True,
             current_start: datetime | None = None) -> tuple[World, float]:
    """Migrate the app's (fresh) database to head and seed it. Returns the world and the seconds
    the seeding itself took (the migration is not counted)."""
    from flask_migrate import upgrade

    from facilitator.auth.passwords import hash_password
    from facilitator.extensions import db
    from facilitator.supervision.crypto import keyring

    with app.app_context():
        if migrate:
            upgrade(revision="heads")
        password_hash = hash_password(PASSWORD)
        started = time.perf_counter()
        with db.engine.begin() as connection:
            world = populate(connection, spec, keyring(), password_hash=password_hash,
                             current_start=current_start)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("ANALYZE"))
        elapsed = time.perf_counter() - started
        db.engine.dispose()
    return world, elapsed


def _agreement(agreement_id: int, home_id: int, agreed: date, now: datetime) -> dict[str, Any]:
    """A home's protected time, agreed with its leadership on ``agreed`` (as a date recorded)."""
    return {"id": agreement_id, "home_id": home_id, "status": "accepted", "source": "recorded",
            "sponsor_name": "", "sponsor_email": "", "psl_hours_per_month": 2.0,
            "implementation_hours_per_month": 1.0, "task_hours_per_month": 2.0, "starts_on": agreed,
            "review_on": add_months(agreed, 12), "text": "", "agreed_on": agreed, "accepted_by": "",
            "accepted_ip": "", "created_at": now}


def summary(world: World) -> str:
    counts = world.counts
    names = ("care_homes", "contacts", "groups", "meeting_sessions", "attendance_entries", "join_records",
             "session_notes", "invitation_tokens", "apologies", "home_pauses", "follow_ups")
    return ", ".join(f"{counts.get(n, 0):,} {n}" for n in names)


def iter_tokens(world: World, group_ids: Iterable[int] | None = None) -> list[JoinLink]:
    wanted = set(group_ids) if group_ids is not None else None
    return [link for link in world.join_links if wanted is None or link.group_id in wanted]
