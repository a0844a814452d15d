"""The conditions that decide whether a home can make progress (issue 17).

Protected-time agreements: ``agreements`` (lifecycle), ``links`` (the sponsor's link),
``reminders``, ``letter`` (the printed letter), ``queries`` and ``views`` (the sponsor's page and
the letter); ``readiness``, each membership's checklist, and ``device_tests`` ("Test this iPad");
``staff_views`` and ``staff_forms``, the staff screens of agreements and readiness. Partner
organisations: ``areas`` is the one list of Scotland's council areas; ``partners`` holds the
directory's rules and writes, ``partner_queries`` its reads, ``partner_import`` the all-or-nothing
CSV import and ``partner_views`` the screens. All on the area's one blueprint (``blueprint``).
"""

from __future__ import annotations

from flask import Flask

from facilitator.conditions.areas import COUNCIL_AREAS, area_label
from facilitator.models import Specialism


def init_app(app: Flask) -> None:
    from facilitator.conditions import partner_views, staff_views, views  # noqa: F401 - routes on bp
    from facilitator.conditions.blueprint import bp

    app.register_blueprint(bp)
    app.jinja_env.globals.update(area_label=area_label, council_areas=COUNCIL_AREAS, specialism=Specialism)
