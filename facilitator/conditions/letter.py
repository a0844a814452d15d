"""The printable letter of an agreement (``GET /agreements/<id>.pdf``): its figures and text, with
signature lines for the sponsor and the facilitator, for a home that signs on paper."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g

from facilitator.access import READERS, allow, can_read_home, get_or_404
from facilitator.clock import local_today, now_utc
from facilitator.models import Agreement
from facilitator.paper import pdf_download, pdf_filename
from facilitator.security import no_store


def init_routes(bp: Blueprint) -> None:
    bp.add_url_rule("/agreements/<int:agreement_id>.pdf", "agreement_letter", agreement_letter)


@allow(READERS)
@no_store
def agreement_letter(agreement_id: int) -> Response:
    """Admins and leads every home's; facilitators their groups' homes' (now or before)."""
    agreement = get_or_404(Agreement, agreement_id)
    if not can_read_home(g.user, agreement.home_id):
        abort(404)
    home = agreement.home
    return pdf_download("conditions/letter.html", pdf_filename(home.name, "protected-time agreement"),
                        home_name=home.name, title="Protected-time agreement", produced=now_utc(),
                        agreement=agreement, home=home, state=agreement.state(local_today()))
