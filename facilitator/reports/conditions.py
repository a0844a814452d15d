"""The conditions for progress: agreements (the dashboard's figures, ``conditions.queries``),
readiness (``conditions.readiness``) and partner contacts in the period."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from facilitator.conditions.queries import agreement_figures
from facilitator.conditions.readiness import ITEMS, groups_readiness
from facilitator.extensions import db
from facilitator.models import PartnerContact
from facilitator.reports.scope import Scope


def _readiness(scope: Scope) -> dict[str, Any]:
    done = dict.fromkeys(ITEMS, 0)
    homes = ready = 0
    by_group = groups_readiness([block.group.id for block in scope.period.blocks], scope.filters.date_to)
    for checklists in by_group.values():
        for home in checklists:
            if home.home_id not in scope.home_ids:
                continue
            homes += 1
            ready += home.ready
            for key, item in home.items.items():
                done[key] += item.done
    return {"homes": homes, "ready": ready, "items_done": done}


def _partner_contacts(scope: Scope) -> int:
    if not scope.home_ids:
        return 0
    return db.session.scalar(select(func.count()).select_from(PartnerContact).where(
        PartnerContact.home_id.in_(scope.home_ids),
        PartnerContact.contacted_on.between(scope.filters.date_from, scope.filters.date_to))) or 0


def conditions(scope: Scope) -> dict[str, Any]:
    agreed = agreement_figures(scope.filters.date_to, scope.home_ids)
    return {"agreements": {"homes": agreed.homes, "covered": agreed.covered, "share": agreed.share,
                           "hours_per_month": agreed.hours_per_month},
            "readiness": _readiness(scope), "partner_contacts": _partner_contacts(scope)}
