"""The landing page after sign-in, the health check and the favicon."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, render_template
from sqlalchemy import select, text

from facilitator import transaction
from facilitator.absence import apologies
from facilitator.access import PUBLIC, STAFF, allow, facilitated_group_ids
from facilitator.attendance import filters as report_filters
from facilitator.attendance import register, report
from facilitator.booking import queries as booking_queries
from facilitator.clock import local_today, now_utc, zone
from facilitator.conditions import queries as agreement_queries
from facilitator.extensions import db
from facilitator.journey import action_queries
from facilitator.models import Apology, Group, MeetingSession, Role, User, group_facilitators
from facilitator.supervision import queries as supervision_queries

bp = Blueprint("home", __name__)

FAVICON_MAX_AGE = 7 * 24 * 3600  # a week: long enough to spare the requests, short enough to change it


@bp.route("/")
@allow(STAFF)
def index() -> Any:
    """Everyone's next steps: a facilitator's sessions, registers and homes to contact; the
    supervision panel for facilitators, supervisors and leads; shortcuts for leads and admins."""
    user: User = g.user
    context: dict[str, Any] = {"supervision_summary": supervision_queries.home_summary(user, local_today())}
    if user.role == Role.FACILITATOR:
        groups = _groups_of(user)
        overdue = action_queries.overdue_by_group((gr.id for gr in groups), local_today())
        context.update(groups=groups, overdue_actions=overdue, **_facilitator_panels(user))
    elif user.role in (Role.LEAD, Role.ADMIN):
        context["agreements"] = agreement_queries.agreement_figures(local_today())
    return render_template("home/index.html", **context)


def _groups_of(user: User) -> list[Group]:
    return list(db.session.scalars(
        select(Group).join(group_facilitators).where(group_facilitators.c.user_id == user.id)
        .order_by(Group.name)))


def _facilitator_panels(user: User) -> dict[str, Any]:
    """Sessions still to come and the apologies for them, registers still to take and the homes
    to contact this week."""
    now = now_utc()
    own_groups = report_filters.Filters(only_groups=facilitated_group_ids(user))
    engagement = report.engagement_report(own_groups, now=now, zone=zone())
    upcoming = booking_queries.upcoming_for(user, now)
    return {"upcoming_sessions": upcoming, "upcoming_apologies": _apologies_for(upcoming),
            "attendance_overview": {"registers": register.registers_to_take(user, now),
                                    "contact": engagement.attention}}


def _apologies_for(sessions: list[MeetingSession]) -> list[tuple[MeetingSession, Apology]]:
    """The standing apologies for these sessions, soonest session first."""
    found = apologies.standing_for_sessions([s.id for s in sessions])
    return [(session, apology) for session in sessions for apology in found.get(session.id, [])]


@bp.route("/healthz")
@allow(PUBLIC)
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        transaction.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@bp.route("/favicon.ico")
@allow(PUBLIC)
def favicon() -> Any:
    """The icon browsers and other clients ask for at the root, whatever the page says."""
    return _icon("favicon.ico", "image/vnd.microsoft.icon")


@bp.route("/favicon.svg")
@allow(PUBLIC)
def favicon_svg() -> Any:
    """The icon the pages link to."""
    return _icon("favicon.svg", "image/svg+xml")


def _icon(name: str, mimetype: str) -> Response:
    """An icon as bytes (a few hundred), cached, as it is the same for everyone. Not streamed from
    its file: browsers often drop an icon's request when they move on, which would leave it open."""
    icon = Path(str(current_app.static_folder), "img", name).read_bytes()
    return Response(icon, mimetype=mimetype, headers={"Cache-Control": f"public, max-age={FAVICON_MAX_AGE}"})
