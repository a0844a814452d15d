"""Attendance and engagement: registers, imports from Zoom and Teams, Zoom's webhook, each
home's engagement status and the leads' dashboard.

``roster`` says who is on a register; ``register`` saves one by hand; ``imports`` applies an
imported report and the queue of people it could not place; ``worker`` runs the import queue;
``report`` is the engagement of homes across groups and ``export`` its CSV; ``matching`` and
``engagement`` are pure rules; ``webhook`` receives Zoom's events; ``views`` are the screens.
"""

from __future__ import annotations

from flask import Flask

from facilitator.attendance import charts
from facilitator.attendance.engagement import EngagementStatus
from facilitator.attendance.report_table import every_home_rows
from facilitator.models.attendance import AttendanceStatus, EngagementRating, EntrySource, IgnoredAs
from facilitator.models.engagement import ApologyReason, PauseReason
from facilitator.providers import hub


def entry_source_label(source: str) -> str:
    """"Typed", "Join link (confirmed)" or, for an imported entry, "Zoom report"."""
    if source in {s.value for s in EntrySource}:
        return EntrySource(source).label
    return f"{hub().label(source)} report"


def init_app(app: Flask) -> None:
    from facilitator.attendance import pause_views, report_cache, views, webhook  # noqa: F401 - routes on bp
    from facilitator.attendance.blueprint import bp

    report_cache.init_app(app)
    app.register_blueprint(bp)
    # Names and drawings the pages use (no query: each draws what its view loaded).
    app.jinja_env.globals.update(
        apology_reason=ApologyReason,
        attendance_status=AttendanceStatus,
        engagement_rating=EngagementRating,
        engagement_status=EngagementStatus,
        entry_source_label=entry_source_label,
        every_home_rows=every_home_rows,
        ignored_as=IgnoredAs,
        pause_reason=PauseReason,
        heatmap=charts.heatmap,
        attendance_chart=charts.attendance_chart,
        apology_chart=charts.apology_chart,
        sparkline=charts.sparkline,
        status_letter=charts.cell_letter,
    )
