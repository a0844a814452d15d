""""We can't make it" through a contact's link: ``/h/<token>/sessions/<id>/apology`` shows the
form (an optional reason and a short note) or, once sent, the home's apologies with a
"Withdraw" button; posting there sends them, ``…/apology/withdraw`` withdraws them.

Only a session of the link's own home, one its group has it as a member on the session's date,
is reached (anything else is the link pages' friendly 404, ``views._home_session``). The POSTs
carry the page's CSRF token like the link's other forms; no sign-in (a shared iPad).
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, request, url_for

from facilitator.absence import apologies
from facilitator.absence.apologies import ApologyInput
from facilitator.access import PUBLIC, allow
from facilitator.clock import now_utc
from facilitator.errors import DomainError
from facilitator.invites.wording import session_time
from facilitator.join.views import _home_session, bp
from facilitator.models import ContactToken, MeetingSession
from facilitator.models.engagement import ApologyReason


def _page(row: ContactToken, session: MeetingSession, token: str, status: int = 200, *,
          problems: dict[str, str] | None = None, message: str | None = None, done: str | None = None) -> Any:
    now, home_id = now_utc(), row.contact.home_id
    return render_template(
        "join/apology.html", token=token, session=session, contact=row.contact, home=row.contact.home,
        when=session_time(session, now), standing=apologies.standing_for_home(session.id, home_id),
        reasons=list(ApologyReason), problems=problems or {}, message=message, done=done,
        is_open=not session.is_cancelled and session.starts_at > now,
        chosen=request.form.get("reason", ""), note=request.form.get("note", "")), status


@bp.route("/h/<token>/sessions/<int:session_id>/apology", methods=["GET", "POST"])
@allow(PUBLIC)
def home_apology(token: str, session_id: int) -> Any:
    row, session = _home_session(token, session_id)
    if request.method == "GET":
        return _page(row, session, token, done=request.args.get("done"))
    data = ApologyInput(reason=request.form.get("reason") or None, note=request.form.get("note", ""))
    try:
        apologies.send_apology(session, row.contact, data, now_utc())
    except DomainError as exc:
        return _page(row, session, token, 422, problems=exc.fields, message=exc.message)
    return redirect(url_for("join.home_apology", token=token, session_id=session.id, done="sent"), code=303)


@bp.route("/h/<token>/sessions/<int:session_id>/apology/withdraw", methods=["POST"])
@allow(PUBLIC)
def home_apology_withdraw(token: str, session_id: int) -> Any:
    row, session = _home_session(token, session_id)
    try:
        apologies.withdraw_apologies(session, row.contact.home_id, now_utc())
    except DomainError as exc:
        return _page(row, session, token, 422, message=exc.message)
    return redirect(url_for("join.home_apology", token=token, session_id=session.id, done="withdrawn"),
                    code=303)
