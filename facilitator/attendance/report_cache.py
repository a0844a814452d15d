"""Each group's part of the engagement report, kept between requests while nothing it shows changed.

Correctness first: a part is keyed on the group's :class:`ReportVersion` counter (and the counter
of group 0, for care homes and contacts), which :func:`bump_versions` raises in the same flush as
any change to a register, session, membership, group, care home or contact, a home's pause
(group 0: a pause changes the home in every group) or an apology (its session's group). A change
made without the ORM (a bulk ``update()``) calls :func:`groups_changed` itself. A facilitator who has
just saved a register therefore never sees the report from before it: the save's transaction
raised the counter the next read compares. The key also holds the start of the group's latest
session that has begun (a session starting changes the report without any write), the day the
report is as of, and the filters.

Each process keeps its own least-recently-used store (``REPORT_CACHE_SIZE`` parts; 0 turns it
off), so several workers each compute a part once per change.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from itertools import chain
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from facilitator.extensions import db
from facilitator.models import CareHome, Contact, Group, MeetingSession, Membership
from facilitator.models.attendance import AttendanceEntry, AttendanceRegister, ReportVersion
from facilitator.models.engagement import Apology, HomePause

EVERY_GROUP = 0


class PartCache:
    """A small thread-safe least-recently-used store."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._parts: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
            return part

    def put(self, key: Hashable, part: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._parts[key] = part
            self._parts.move_to_end(key)
            while len(self._parts) > self.size:
                self._parts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._parts.clear()

    def __len__(self) -> int:
        return len(self._parts)


def parts() -> PartCache:
    return current_app.extensions["report_parts"]


def _group_of(session: Session, obj: Any) -> int | None:
    """The group whose report ``obj`` appears in (EVERY_GROUP for homes and contacts), if any."""
    if isinstance(obj, CareHome | Contact | HomePause):
        return EVERY_GROUP
    if isinstance(obj, Group):
        return obj.id
    if isinstance(obj, MeetingSession | Membership):
        return obj.group_id if obj.group_id is not None else getattr(obj.group, "id", None)
    if isinstance(obj, AttendanceEntry | AttendanceRegister | Apology):
        meeting = obj.session if obj.session_id is None else session.get(MeetingSession, obj.session_id)
        return meeting.group_id if meeting is not None else None
    return None


def _touched_groups(session: Session, objects: Iterable[Any]) -> set[int]:
    """The groups (by id) whose report changes with these new, changed or deleted objects.
    An object not yet flushed has no group id yet: nothing can have been cached for it."""
    found = (_group_of(session, obj) for obj in objects)
    return {group_id for group_id in found if group_id is not None}


def bump_versions(session: Session, _context: Any, _instances: Any) -> None:
    """Raise the counters of the groups whose report this flush changes (one statement)."""
    with session.no_autoflush:
        groups = _touched_groups(session, chain(session.new, session.dirty, session.deleted))
    groups_changed(groups, session)


def groups_changed(group_ids: Iterable[int], session: Session | None = None) -> None:
    """Raise the counters of these groups (``EVERY_GROUP``: every group) in ``session``'s
    transaction (the app's by default), so that no worker shows their report from before."""
    groups = set(group_ids)
    if not groups:
        return
    session = session if session is not None else db.session
    table = ReportVersion.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values([{"group_id": g, "version": 1} for g in sorted(groups)])
    session.execute(statement.on_conflict_do_update(index_elements=[table.c.group_id],
                                                    set_={"version": table.c.version + 1}))


def init_app(app: Flask) -> None:
    app.extensions["report_parts"] = PartCache(int(app.config["REPORT_CACHE_SIZE"]))
    if not event.contains(Session, "before_flush", bump_versions):
        event.listen(Session, "before_flush", bump_versions)
