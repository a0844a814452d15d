"""Who may see and change a home's journey (its assessment rounds and action plan).

Admins write every home's; facilitators read and write the homes of the groups they facilitate,
including homes that have since left the group; leads read every home's; supervisors none. A
contact reaches only their own home, through their link (``facilitator/join/assessment.py``).
The rule itself is ``access.can_manage_home`` (without a date: ever a member) and ``can_read_home``.
"""

from __future__ import annotations

from flask import abort, g

from facilitator.access import can_manage_home as can_write_journey
from facilitator.access import can_read_home as can_read_journey
from facilitator.access import get_or_404
from facilitator.models import CareHome

__all__ = ["can_read_journey", "can_write_journey", "journey_home_or_404"]


def journey_home_or_404(home_id: int, write: bool = False) -> CareHome:
    """The home whose journey the signed-in user may read (another group's home is not found),
    refused (403) when a change is asked of someone who may only read it."""
    home = get_or_404(CareHome, home_id)
    if not can_read_journey(g.user, home.id):
        abort(404)
    if write and not can_write_journey(g.user, home.id):
        abort(403)
    return home
