"""The landing page after sign-in, and the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, render_template
from sqlalchemy import select, text

from facilitator.access import PUBLIC, STAFF, allow
from facilitator.extensions import db
from facilitator.models import Group, Role, group_facilitators

bp = Blueprint("home", __name__)


@bp.route("/")
@allow(STAFF)
def index() -> Any:
    groups: list[Group] = []
    if g.user.role == Role.FACILITATOR:
        groups = list(
            db.session.scalars(
                select(Group)
                .join(group_facilitators)
                .where(group_facilitators.c.user_id == g.user.id)
                .order_by(Group.name)
            )
        )
    return render_template("home/index.html", groups=groups)


@bp.route("/healthz")
@allow(PUBLIC)
def healthz() -> Any:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok", "database": "ok"})
