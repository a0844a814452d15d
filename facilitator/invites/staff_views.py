"""Staff screens: a session's invitations (resend, send now), its .ics, the outbox, a contact's links."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for

from facilitator.access import ADMIN, MANAGERS, READERS, allow, get_or_404, session_or_404
from facilitator.clock import now_utc
from facilitator.database import writes_on_get
from facilitator.errors import DomainError
from facilitator.forms import flash_refusal
from facilitator.invites import queries, services, states
from facilitator.invites.outbox import send_session_now
from facilitator.invites.render import download_ics
from facilitator.invites.tokens import link_overview
from facilitator.invites.wording import session_time
from facilitator.models import Contact, LinkKind, OutboxMessage, OutboxStatus

bp = Blueprint("invites", __name__)

OUTBOX_VIEWS = ("waiting", "pending", "failed", "sent", "skipped")


@bp.route("/sessions/<int:session_id>/invitations")
@allow(READERS)
def session_invitations(session_id: int) -> Any:
    session = session_or_404(session_id)
    deliveries = queries.deliveries(session)
    eligible = queries.eligible_contacts(session) if not session.is_cancelled else {}
    contacts = {d.contact_id: d.contact for d in deliveries.values()} | eligible
    rows = sorted(((contacts[cid], deliveries.get(cid), cid in eligible) for cid in contacts),
                  key=lambda r: (r[0].home.name, r[0].name))
    waiting = sum(1 for d in deliveries.values() if d.status == "pending")
    return render_template("invites/session.html", session=session, rows=rows, waiting=waiting,
                           when=session_time(session, now_utc()), can_manage=session.can_manage(g.user),
                           ended=session.ends_at <= now_utc())


@bp.route("/sessions/<int:session_id>/invitations/resend", methods=["POST"])
@allow(MANAGERS)
def resend(session_id: int) -> Any:
    session = session_or_404(session_id)
    if not session.can_manage(g.user):
        abort(403)
    back = redirect(url_for("invites.session_invitations", session_id=session.id))
    contact_id = request.form.get("contact_id", type=int)
    try:
        count = services.resend(session, contact_id)
    except DomainError as exc:
        flash_refusal(exc)
        return back
    plural = "s" if count != 1 else ""
    flash(f"{count} email{plural} queued. They go out with the next outbox run.", "success")
    return back


@bp.route("/sessions/<int:session_id>/invitations/send", methods=["POST"])
@allow(MANAGERS)
def send_now(session_id: int) -> Any:
    """Deliver the session's waiting emails now, through the outbox's own send path."""
    session = session_or_404(session_id)
    if not session.can_manage(g.user):
        abort(403)
    flash(*states.send_now_words(send_session_now(session.id)))
    return redirect(url_for("booking.session_page", session_id=session_id) + "#emails")


@bp.route("/sessions/<int:session_id>/calendar.ics")
@allow(READERS)
@writes_on_get  # the first copy of an event fixes its organizer
def session_calendar(session_id: int) -> Any:
    """The session as a .ics file; the link in it is the meeting's own (for the facilitator)."""
    session = session_or_404(session_id)
    response = Response(download_ics(session, session.join_url, now_utc()),
                        content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session.id}.ics"'
    return response


# -------------------------------------------------------------------------------- outbox


@bp.route("/outbox")
@allow(ADMIN)
def outbox() -> Any:
    view = request.args.get("show", "waiting")
    if view not in OUTBOX_VIEWS:
        view = "waiting"
    if view == "waiting":
        messages = [*queries.outbox_messages(OutboxStatus.FAILED),
                    *queries.outbox_messages(OutboxStatus.PENDING)]
    else:
        messages = queries.outbox_messages(view)
    return render_template("invites/outbox.html", messages=messages, view=view, views=OUTBOX_VIEWS,
                           counts=queries.outbox_counts(), now=now_utc())


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@allow(ADMIN)
def retry(message_id: int) -> Any:
    message = get_or_404(OutboxMessage, message_id)
    try:
        services.retry_message(message)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(f"The message to {message.to_email} will be sent on the next outbox run.", "success")
    return redirect(url_for("invites.outbox", show=request.args.get("show", "waiting")))


@bp.route("/outbox/retry-failed", methods=["POST"])
@allow(ADMIN)
def retry_failed() -> Any:
    count = services.retry_failed()
    flash(f"{count} failed message{'s' if count != 1 else ''} will be retried on the next outbox run.",
          "success")
    return redirect(url_for("invites.outbox"))


# ------------------------------------------------------------------------- contact links


@bp.route("/contacts/<int:contact_id>/links")
@allow(ADMIN)
def contact_links(contact_id: int) -> Any:
    contact = get_or_404(Contact, contact_id)
    return render_template("invites/contact_links.html", contact=contact, links=link_overview(contact),
                           reminders_on=not queries.is_opted_out(contact.id))


ROTATED = {LinkKind.HOME: "home-page link", LinkKind.FEED: "calendar feed link"}


@bp.route("/contacts/<int:contact_id>/links/rotate", methods=["POST"])
@allow(ADMIN)
def rotate_link(contact_id: int) -> Any:
    contact = get_or_404(Contact, contact_id)
    back = redirect(url_for("invites.contact_links", contact_id=contact.id))
    try:
        kind, sent = services.rotate_link(contact, request.form.get("kind"))
    except DomainError as exc:
        flash_refusal(exc)
        return back
    then = " An email with the new link is queued." if sent else ""
    flash(f"{contact.name} has a new {ROTATED[kind]}; the old one no longer works.{then}", "success")
    return back


@bp.route("/contacts/<int:contact_id>/links/revoke", methods=["POST"])
@allow(ADMIN)
def revoke_links(contact_id: int) -> Any:
    contact = get_or_404(Contact, contact_id)
    count = services.revoke_links(contact)
    flash(f"Revoked {count} link{'s' if count != 1 else ''} of {contact.name}. "
          "Emails from now on carry new links.", "success")
    return redirect(url_for("invites.contact_links", contact_id=contact.id))


@bp.route("/contacts/<int:contact_id>/links/send", methods=["POST"])
@allow(ADMIN)
def send_home_link(contact_id: int) -> Any:
    contact = get_or_404(Contact, contact_id)
    try:
        services.send_home_link(contact)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        flash(f"An email with the links of {contact.name} is queued.", "success")
    return redirect(url_for("invites.contact_links", contact_id=contact.id))
