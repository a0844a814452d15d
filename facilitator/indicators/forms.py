"""The return's form, shared by the home's link page and the facilitator's paper entry: the five
counts by name and a grid of staff trained, one input per role and level
(``staff_trained.<role>.<ksf_level>``, a blank one counting none)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_wtf import FlaskForm

from facilitator.indicators.services import COUNTS, LEVELS, ROLES
from facilitator.models import IndicatorReturn, KsfLevel

ROLE_LABELS = {"care_staff": "Care staff", "senior_carer": "Senior carers", "nurse": "Nurses",
               "team_leader": "Team leaders", "manager": "Managers", "ancillary": "Ancillary staff",
               "other": "Other staff"}
LEVEL_LABELS = {level.value: level.label for level in KsfLevel}


class ReturnForm(FlaskForm):
    """Only the CSRF token: the inputs are the grid below, read by ``posted_return``, and every rule
    is the service's (``indicator_problems``), so every problem shows at once."""


def cell(role: str, level: str) -> str:
    return f"staff_trained.{role}.{level}"


def posted_return(form: Mapping[str, str]) -> dict[str, Any]:
    """The posted inputs as the service reads a return (strings as typed; the service checks them)."""
    staff = [{"role": role, "ksf_level": level, "count": form.get(cell(role, level), "").strip()}
             for role in ROLES for level in LEVELS if form.get(cell(role, level), "").strip()]
    return {**{name: form.get(name, "").strip() for name in COUNTS}, "staff_trained": staff}


def shown_values(form: Mapping[str, str] | None, saved: IndicatorReturn | None) -> dict[str, str]:
    """What each input shows: what was just posted, else the saved return, else blanks."""
    if form is not None:
        return {key: value for key, value in form.items() if key != "csrf_token"}
    if saved is None:
        return {}
    values = {name: str(getattr(saved, name)) for name in COUNTS}
    values.update({cell(s.role, s.ksf_level): str(s.count) for s in saved.staff_trained})
    return values


def grid_context() -> dict[str, Any]:
    """What the shared fields template needs besides the values."""
    return {"roles": ROLE_LABELS, "levels": LEVEL_LABELS, "cell": cell}
