"""The facilitators' daily digest of new apologies (issue 18), one email each through the outbox.

**Once a day, by a cut-off, not by a timer.** The digest's day ends at ``APOLOGY_DIGEST_HOUR``
(local time, default 07:00): a pass covers the apologies made before the latest cut-off that no
digest has taken yet (``digested_at IS NULL``). The follow-ups worker runs a pass every 15
minutes, but only the first pass after a cut-off finds anything: an apology made after it waits
for the next day's. So a facilitator gets at most one digest a day, a worker that was down
catches up at its next pass, and no ledger of sends is needed beyond ``digested_at``.

**Taken once.** Each apology is claimed with a conditional UPDATE on ``digested_at IS NULL``
(``facilitator.queue.take``) in the pass's transaction, together with the emails it queues: two
passes at once cannot both list it, and a pass that rolls back sends nothing and takes nothing.

Withdrawn apologies (and those for cancelled sessions) are taken too, but not listed. An email
goes to every active facilitator of the session's group; one who facilitates several groups gets
one email listing them all. The digest lists the home, the reason and the apology's own note,
never a session's notes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from facilitator import queue
from facilitator.clock import as_local, now_utc, zone
from facilitator.extensions import db
from facilitator.invites.render import base_url
from facilitator.invites.services import queue_plain_email
from facilitator.invites.wording import session_time
from facilitator.models import Group, MeetingSession, User
from facilitator.models.engagement import Apology, ApologyReason


@dataclass
class SessionApologies:
    """One session's new apologies, as one digest lists them."""

    session: MeetingSession
    when: str
    url: str
    apologies: list[Apology] = field(default_factory=list)


def cut_off(now: datetime) -> datetime:
    """The latest ``APOLOGY_DIGEST_HOUR`` at or before ``now`` (local), in UTC."""
    local = as_local(now)
    hour = int(current_app.config["APOLOGY_DIGEST_HOUR"])
    mark = datetime.combine(local.date(), time(hour), tzinfo=zone())
    if mark > local:
        mark = datetime.combine(local.date() - timedelta(days=1), time(hour), tzinfo=zone())
    return mark.astimezone(UTC)


def register_url(session: MeetingSession) -> str:
    return f"{base_url()}/sessions/{session.id}/register"


def queue_apology_digests(now: datetime | None = None) -> int:
    """Take every apology made before the latest cut-off and not yet digested, and queue one
    digest per facilitator with any standing ones; returns how many emails were queued.
    Flushes; the caller commits."""
    now = now or now_utc()
    pending = db.session.scalars(
        select(Apology).where(Apology.digested_at.is_(None), Apology.created_at < cut_off(now))
        .options(joinedload(Apology.home),
                 joinedload(Apology.session).joinedload(MeetingSession.group)
                 .selectinload(Group.facilitators))
        .order_by(Apology.id))
    by_user: dict[int, dict[int, SessionApologies]] = defaultdict(dict)
    users: dict[int, User] = {}
    for apology in pending:
        if not queue.take(Apology, apology.id, [Apology.digested_at.is_(None)], {"digested_at": now}):
            continue
        apology.digested_at = now
        session = apology.session
        if not apology.standing or session.is_cancelled:
            continue
        for user in session.group.facilitators:
            if not user.is_active:
                continue
            users[user.id] = user
            listed = by_user[user.id].setdefault(
                session.id, SessionApologies(session, session_time(session, now), register_url(session)))
            listed.apologies.append(apology)
    for user_id, sessions in by_user.items():
        _tell(users[user_id], sorted(sessions.values(), key=lambda s: s.session.starts_at))
    db.session.flush()
    return len(by_user)


def _tell(user: User, sessions: list[SessionApologies]) -> None:
    count = sum(len(s.apologies) for s in sessions)
    subject = f"{count} new {'apology' if count == 1 else 'apologies'} from homes"
    context = {"user": user, "sessions": sessions, "label": lambda r: ApologyReason(r).label}
    queue_plain_email(to_email=user.email, to_name=user.name, subject=subject,
                      text=render_template("attendance/email/apology_digest.txt", **context),
                      html=render_template("attendance/email/apology_digest.html", **context))
