"""Attendance and engagement: registers, imports from Zoom and Teams, Zoom's webhook, each
home's engagement status and the leads' dashboard.

``matching`` and ``engagement`` are pure rules; ``services`` writes, ``queries`` reads,
``worker`` runs the import queue, ``webhook`` receives Zoom's events, ``views`` are the screens.
"""

from __future__ import annotations

from flask import Flask, g

from facilitator.attendance import charts
from facilitator.attendance.engagement import EngagementStatus
from facilitator.models.attendance import AttendanceStatus, EngagementRating, EntrySource, IgnoredAs


def check_config(config: dict) -> None:
    share = float(config["ATTENDANCE_PRESENT_SHARE"])
    if not 0 < share <= 1:
        raise ValueError("ATTENDANCE_PRESENT_SHARE must be more than 0 and at most 1")
    if float(config["LATE_AFTER_MINUTES"]) < 0:
        raise ValueError("LATE_AFTER_MINUTES cannot be negative")
    size = str(config["REPORT_CACHE_SIZE"]).strip()
    if not size.isdigit():
        raise ValueError(f"REPORT_CACHE_SIZE must be a whole number, 0 or more (got {size!r})")
    secret = str(config["ZOOM_WEBHOOK_SECRET"] or "")
    if secret and len(secret) < 16:
        raise ValueError("ZOOM_WEBHOOK_SECRET looks too short: copy Zoom's Secret Token in full")


def init_app(app: Flask) -> None:
    from facilitator.attendance import report_cache
    from facilitator.attendance.views import bp, facilitator_overview, reports_bp
    from facilitator.attendance.webhook import bp as webhook_bp

    check_config(app.config)
    report_cache.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(webhook_bp)
    app.jinja_env.globals.update(
        attendance_overview=lambda: facilitator_overview() if g.get("user") else {},
        attendance_status=AttendanceStatus,
        engagement_rating=EngagementRating,
        engagement_status=EngagementStatus,
        entry_source=EntrySource,
        ignored_as=IgnoredAs,
        heatmap=charts.heatmap,
        attendance_chart=charts.attendance_chart,
        sparkline=charts.sparkline,
        status_letter=charts.cell_letter,
    )
