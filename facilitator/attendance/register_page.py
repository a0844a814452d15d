"""What a session's register shows, for its screen and the API: each member home's entry, the
evidence of who came, and what the home said beforehand (issue 18). Reads only.

**Apologies and pauses on the register.** A line carries the home's standing apologies (the
entry they made is the register rule's, ``apologies.sync_register_entry``) and the pause that
covers the session's day. A paused home is *not expected*: the engagement report leaves every
session inside a pause out, whatever the register says (``histories.load_histories``), so the
register says so instead of counting it, and "Mark all present" leaves such a home as it was,
like a home whose apology stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from facilitator.absence import apologies
from facilitator.absence.pauses import paused_on
from facilitator.attendance.roster import (
    entries_by_home,
    join_evidence,
    member_homes,
    session_day,
)
from facilitator.extensions import db
from facilitator.models import CareHome, MeetingSession
from facilitator.models.attendance import (
    AttendanceEntry,
    AttendanceImport,
    AttendanceParticipant,
    AttendanceRegister,
    EntrySource,
)
from facilitator.models.engagement import Apology, ApologySource, HomePause
from facilitator.models.invites import JoinRecord


@dataclass
class RegisterLine:
    home: CareHome
    entry: AttendanceEntry | None
    joins: list[JoinRecord]
    people: list[AttendanceParticipant]
    apologies: list[Apology] = field(default_factory=list)  # standing, oldest first
    pause: HomePause | None = None  # covers the session's day: the home is not expected

    @property
    def status(self) -> str | None:
        return self.entry.status if self.entry else None

    @property
    def apology(self) -> Apology | None:
        """The home's first standing apology (the API's one ``apology``)."""
        return self.apologies[0] if self.apologies else None

    @property
    def declined_in_calendar(self) -> bool:
        return any(a.source == ApologySource.CALENDAR for a in self.apologies)

    @property
    def left_as_it_is(self) -> bool:
        """Not marked present by "Mark all present": paused, or still excused by its apology."""
        return self.pause is not None or (self.entry is not None and self.entry.source == EntrySource.APOLOGY)


@dataclass
class RegisterView:
    session: MeetingSession
    register: AttendanceRegister | None
    lines: list[RegisterLine]
    unmatched: list[AttendanceParticipant]
    set_aside: list[AttendanceParticipant]
    job: AttendanceImport | None

    @property
    def version(self) -> int:
        return self.register.version if self.register else 0

    @property
    def proposals(self) -> list[RegisterLine]:
        return [line for line in self.lines if line.entry is not None and line.entry.has_proposal]


def register_view(session: MeetingSession) -> RegisterView:
    homes = member_homes(session)
    entries = entries_by_home(session)
    people = list(db.session.scalars(
        select(AttendanceParticipant).where(AttendanceParticipant.session_id == session.id)
        .order_by(AttendanceParticipant.first_joined_at, AttendanceParticipant.id)))
    joins = join_evidence(session)
    by_home: dict[int, list[AttendanceParticipant]] = {}
    for person in people:
        if person.home_id is not None:
            by_home.setdefault(person.home_id, []).append(person)
    said_sorry = apologies.standing_by_home(session.id)
    paused = paused_on([h.id for h in homes], session_day(session))
    lines = [RegisterLine(h, entries.get(h.id), joins.get(h.id, []), by_home.get(h.id, []),
                          said_sorry.get(h.id, []), paused.get(h.id)) for h in homes]
    register, job = _register_and_import(session)
    return RegisterView(session, register, lines, [p for p in people if p.is_unmatched],
                        [p for p in people if p.ignored_as], job)


def _register_and_import(session: MeetingSession) -> tuple[AttendanceRegister | None,
                                                          AttendanceImport | None]:
    """The session's register and its import job, either or both missing, in one statement (each
    is one per session)."""
    register, job = db.session.execute(
        select(AttendanceRegister, AttendanceImport).select_from(MeetingSession)
        .outerjoin(AttendanceRegister, AttendanceRegister.session_id == MeetingSession.id)
        .outerjoin(AttendanceImport, AttendanceImport.session_id == MeetingSession.id)
        .where(MeetingSession.id == session.id)).one()
    return register, job
