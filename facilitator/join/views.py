"""Pages reached through personal links, made for a shared iPad: no sign-in, no JavaScript.

``/j/<token>`` joins one session, ``/h/<token>`` is a contact's page for their home,
``/feeds/<token>.ics`` the home's calendar feed (its events join through
``/feeds/<token>/sessions/<id>``). Every token page sends ``Referrer-Policy: no-referrer`` (the
meeting provider never sees the link), ``Cache-Control: no-store`` and ``X-Robots-Tag: noindex``;
an unknown, revoked or expired token gets the same friendly 404, except an expired home-page link:
its page (410) offers to email a fresh link to the contact's address, showing neither.

A GET here only reads (a tap and a link's "last used" are best-effort bookkeeping after the
request), so under another writer's long lock the join link still answers with the meeting.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import NotFound

from facilitator import transaction
from facilitator.absence.apologies import standing_for_sessions
from facilitator.access import PUBLIC, allow
from facilitator.clock import as_local, now_utc, zone_name
from facilitator.conditions import device_tests, partner_queries
from facilitator.config import reminder_offsets
from facilitator.extensions import csrf, db
from facilitator.invites import events, plan_queries, queries, series, series_render, services
from facilitator.invites.joins import coming_sessions, join_state, series_occurrence
from facilitator.invites.render import (
    PRODID,
    base_url,
    download_ics,
    event_data,
    feed_url,
    webcal_url,
)
from facilitator.invites.tokens import (
    find_contact_token,
    find_join_token,
    find_series_token,
    is_expired,
    kept_contact_token,
    known_contact_token,
)
from facilitator.invites.wording import local_clock, reminder_phrase, session_time, starts_in
from facilitator.journey import action_queries
from facilitator.models import Contact, ContactToken, LinkKind, MeetingSession, SeriesToken, SessionStatus
from facilitator.packs import queries as pack_queries
from facilitator.providers import hub
from facilitator.questionnaires import answers
from facilitator.security import csp_with_form_targets
from facilitator.user_agents import is_link_scanner, user_agent_family
from integrations.ical import build_feed
from integrations.icslint import lint

log = logging.getLogger(__name__)

bp = Blueprint("join", __name__)

FEED_DAYS_BACK = 90
NOT_RECORDED = ("Not recorded", False)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.errorhandler(404)
def _not_found(_exc: NotFound) -> Any:
    return render_template("join/not_found.html"), 404


def _contact_token(token: str, used_as: LinkKind = LinkKind.HOME) -> ContactToken:
    """The working link, its use noted; an expired page link leads to its page's offer, else 404."""
    row = find_contact_token(token, used_as)
    if row is None:
        if used_as == LinkKind.HOME and known_contact_token(token, used_as) is not None:
            abort(redirect(url_for("join.home", token=token), code=303))
        abort(404)
    return _used(row)


def _used(row: ContactToken) -> ContactToken:
    transaction.note_last_used(row, now_utc())
    return row


def _calendar_response(ics: bytes, filename: str) -> Response:
    response = Response(ics, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ----------------------------------------------------------------------------- joining


def _join(session: MeetingSession, contact: Contact, via: str, here: str, calendar: str,
          next_url: str | None) -> Any:
    """Record the click (not HEAD, not a link scanner), then forward or show the session page."""
    now = now_utc()
    state = join_state(session, now)
    agent = request.headers.get("User-Agent", "")
    if request.method == "GET" and not is_link_scanner(agent):
        services.record_join(session, contact, user_agent_family(agent), state.redirects, via)
    if state.redirects:
        return redirect(state.target, code=303)
    upcoming = None
    if state.cancelled:
        upcoming = queries.next_session_for_home(contact.home_id, now, exclude=session.id)
    return render_template(
        "join/session.html", session=session, contact=contact, state=state, here=here, calendar=calendar,
        next_session=upcoming, next_url=next_url, when=session_time(session, now),
        join_hint=hub().join_hint(session.provider),
        starts_in=starts_in(session, now), opens_at=local_clock(state.window_opens, session.timezone),
        next_when=session_time(upcoming, now) if upcoming else None,
        pulse=None if via == "feed" else answers.pulse_offer(session, contact, now))


def _invited_row(token: str) -> Any:
    """The email link's row while its contact is still invited to its session; else 404."""
    row = find_join_token(token)
    if row is None or not _still_invited(row.session, row.contact):
        abort(404)
    return row


def _next_session(token: str) -> tuple[Any, MeetingSession]:
    """The email link's row and its home's next session after the link's own; else 404."""
    row = find_join_token(token)
    upcoming = row and queries.next_session_for_home(row.contact.home_id, now_utc(), exclude=row.session_id)
    if not upcoming:
        abort(404)
    return row, upcoming


def _series_link(token: str) -> tuple[SeriesToken, MeetingSession] | None:
    """A series email's link and the occurrence it opens now (None: not a series link; 404 when
    none of the series is the contact's any more)."""
    row = find_series_token(token)
    if row is None:
        return None
    sessions = series.contact_sessions(row.series, row.contact_id, row.contact.email)
    chosen = series_occurrence(sessions, now_utc())
    if chosen is None:
        abort(404)
    return row, chosen


@bp.route("/j/<token>")
@allow(PUBLIC)
def join(token: str) -> Any:
    if (link := _series_link(token)) is not None:
        return _join(link[1], link[0].contact, "email", f"/j/{token}", f"/j/{token}/calendar.ics", None)
    row = _invited_row(token)
    return _join(row.session, row.contact, "email", f"/j/{token}", f"/j/{token}/calendar.ics",
                 f"/j/{token}/next")


@bp.route("/j/<token>/next")
@allow(PUBLIC)
def join_next(token: str) -> Any:
    """From a cancelled session's page: the home's next session, through the same link."""
    row, upcoming = _next_session(token)
    return _join(upcoming, row.contact, "email", f"/j/{token}/next", f"/j/{token}/next/calendar.ics", None)


@bp.route("/j/<token>/calendar.ics")
@allow(PUBLIC)
def join_calendar(token: str) -> Any:
    if (link := _series_link(token)) is not None:
        row = link[0]
        ics = series_render.download_ics(
            row.series, series.contact_sessions(row.series, row.contact_id, row.contact.email),
            f"{base_url()}/j/{token}", now_utc(), row.contact.home.name)
        return _calendar_response(ics, "series.ics")
    row = _invited_row(token)
    ics = download_ics(row.session, f"{base_url()}/j/{token}", now_utc(), row.contact.home.name)
    return _calendar_response(ics, "session.ics")


@bp.route("/j/<token>/next/calendar.ics")
@allow(PUBLIC)
def join_next_calendar(token: str) -> Any:
    row, upcoming = _next_session(token)
    ics = download_ics(upcoming, f"{base_url()}/j/{token}/next", now_utc(), row.contact.home.name)
    return _calendar_response(ics, "session.ics")


def _still_invited(session: MeetingSession, contact: Contact) -> bool:
    """A cancelled session's page stays (it says so); a withdrawn invitation's link does not."""
    if session.status == SessionStatus.CANCELLED:
        return True
    delivery = queries.delivery(session.id, contact.id)
    return delivery is not None and delivery.is_invited and queries.session_visible_to_home(
        session, contact.home_id)


# ------------------------------------------------------------------------- home page


def _home_session(token: str, session_id: int,
                  used_as: LinkKind = LinkKind.HOME) -> tuple[ContactToken, MeetingSession]:
    row = _contact_token(token, used_as)
    session = db.session.get(MeetingSession, session_id)
    if session is None or not queries.session_visible_to_home(session, row.contact.home_id):
        abort(404)
    return row, session


@bp.route("/h/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def home(token: str) -> Any:
    """The contact's page; for an expired link, the offer of a fresh one (POST sends it)."""
    row = known_contact_token(token, LinkKind.HOME)
    if row is None:
        abort(404)
    if is_expired(row, LinkKind.HOME):
        asked = request.method == "POST"
        if asked:
            services.send_fresh_home_link(row.contact)
            transaction.keep_on_error()  # the answer stays a 410, a miss for the link rate limit
        return render_template("join/expired.html", asked=asked), 410
    if request.method == "POST":
        return redirect(url_for("join.home", token=token), code=303)
    contact, now = _used(row).contact, now_utc()
    # Only read here: the feed link emails carry, else a pre-0012 link (its own feed link), if any.
    own = token if row.kind == LinkKind.LEGACY else None
    feed_token = kept_contact_token(contact, LinkKind.FEED) or own
    feed = feed_url(feed_token) if feed_token else None
    sessions = queries.home_sessions(contact.home_id, datetime(2000, 1, 1, tzinfo=UTC))
    past = [s for s in sessions if s.ends_at <= now and s.status == SessionStatus.SCHEDULED]
    attendance = queries.home_attendance(contact.home_id, [s.id for s in past])
    coming = coming_sessions(sessions, now)
    groups = queries.groups_of_sessions([c.session for c in coming] + past[::-1])
    reach = [(group, people) for group in groups if (people := queries.facilitators_of(group))]
    tests = device_tests.test_meetings(contact.home_id, now)
    response = make_response(render_template(
        "join/home.html", contact=contact, home=contact.home, token=token, now=now, upcoming=coming,
        apologised=set(standing_for_sessions([c.session.id for c in coming], contact.home_id)),
        reach=reach, partners=partner_queries.covering(contact.home.local_authority),
        past=[(s, session_time(s, now), attendance.get(s.id, NOT_RECORDED)) for s in reversed(past)],
        attended_count=sum(1 for _, came in attendance.values() if came), feed=feed,
        webcal=webcal_url(feed) if feed else None,
        reminders_on=not queries.is_opted_out(contact.id), reminder_when=_reminder_when(),
        plan=action_queries.open_plans([contact.home_id])[contact.home_id], today=as_local(now).date(),
        just_done=request.args.get("done"), printed_rounds=pack_queries.completed_rounds(contact.home_id),
        test_meetings=tests, last_test=device_tests.latest_tests([contact.home_id]).get(contact.home_id),
        between=_between_sessions([c.session for c in coming], past, now),
        pulse=answers.pulse_offer(past[-1] if past else None, contact, now)))
    if tests:
        response.headers["Content-Security-Policy"] = csp_with_form_targets(m.url for m in tests if m.url)
    return response


def _between_sessions(upcoming: list[MeetingSession], past: list[MeetingSession],
                      now: datetime) -> dict[str, Any]:
    """The home page's plans of the sessions coming up and summaries of those gone (issue 19)."""
    plans = plan_queries.plans_for(s.id for s in upcoming)
    summaries = plan_queries.sent_summaries_for(s.id for s in past)
    return {"plans": [(s, session_time(s, now), plans[s.id]) for s in upcoming if s.id in plans],
            "summaries": [(s, session_time(s, now), summaries[s.id]) for s in reversed(past)
                          if s.id in summaries]}


@bp.route("/h/<token>/sessions/<int:session_id>")
@allow(PUBLIC)
def home_join(token: str, session_id: int) -> Any:
    row, session = _home_session(token, session_id)
    here = f"/h/{token}/sessions/{session.id}"
    return _join(session, row.contact, "home", here, f"{here}/calendar.ics", None)


def _download(session: MeetingSession, contact: Contact, link: str) -> Response:
    """"Add to calendar": the session, or for a series invited as one entry the contact's whole
    series (the same UID, master, overrides and SEQUENCE as their emails)."""
    of = series.series_of(session)
    mine = series.contact_sessions(of, contact.id, contact.email) if of is not None else []
    if of is None or not mine:
        return _calendar_response(download_ics(session, link, now_utc(), contact.home.name), "session.ics")
    ics = series_render.download_ics(of, mine, link, now_utc(), contact.home.name)
    return _calendar_response(ics, "series.ics")


@bp.route("/h/<token>/sessions/<int:session_id>/calendar.ics")
@allow(PUBLIC)
def home_calendar(token: str, session_id: int) -> Any:
    row, session = _home_session(token, session_id)
    return _download(session, row.contact, f"{base_url()}/h/{token}/sessions/{session.id}")


@bp.route("/h/<token>/reminders", methods=["GET", "POST"])
@allow(PUBLIC)
@csrf.exempt
def reminders(token: str) -> Any:
    """GET only shows (link scanners open every link); POST stops, or starts with action=start.

    A POST with the body ``List-Unsubscribe=One-Click`` is a mail client's one-click
    unsubscribe (RFC 8058, announced in each reminder's headers): it stops reminders.
    """
    row = _contact_token(token)
    changed = None
    if request.method == "POST":
        wanted = request.form.get("action") == "start"
        services.set_reminders(row.contact, wanted)
        changed = "started" if wanted else "stopped"
    return render_template("join/reminders.html", contact=row.contact, token=token, changed=changed,
                           reminders_on=not queries.is_opted_out(row.contact_id),
                           reminder_when=_reminder_when())


def _reminder_when() -> str:
    return reminder_phrase(reminder_offsets(current_app.config["REMINDER_OFFSETS"]))


# ------------------------------------------------------------------------------- feed


@bp.route("/feeds/<token>/sessions/<int:session_id>")
@allow(PUBLIC)
def feed_join(token: str, session_id: int) -> Any:
    """A session of the feed, joined through the feed link (it lasts as long as the feed)."""
    row, session = _home_session(token, session_id, LinkKind.FEED)
    here = f"/feeds/{token}/sessions/{session.id}"
    return _join(session, row.contact, "feed", here, f"{here}/calendar.ics", None)


@bp.route("/feeds/<token>/sessions/<int:session_id>/calendar.ics")
@allow(PUBLIC)
def feed_calendar(token: str, session_id: int) -> Any:
    row, session = _home_session(token, session_id, LinkKind.FEED)
    return _download(session, row.contact, f"{base_url()}/feeds/{token}/sessions/{session.id}")


@bp.route("/feeds/<token>/series/<series_id>")
@allow(PUBLIC)
def feed_series_join(token: str, series_id: str) -> Any:
    """A series in the feed: the home's occurrence on now, else its next one."""
    row = _contact_token(token, LinkKind.FEED)
    sessions = [s for s in queries.home_sessions(row.contact.home_id, datetime(2000, 1, 1, tzinfo=UTC))
                if s.series_id == series_id and not s.is_cancelled]
    chosen = series_occurrence(sessions, now_utc())
    if chosen is None:
        abort(404)
    here = f"/feeds/{token}/series/{series_id}"
    return _join(chosen, row.contact, "feed", here, f"/feeds/{token}/sessions/{chosen.id}/calendar.ics", None)


@bp.route("/feeds/<token>.ics")
@allow(PUBLIC)
def feed(token: str) -> Any:
    """The home's sessions from 90 days back and all future ones, as a PUBLISH feed."""
    row = _contact_token(token, LinkKind.FEED)
    home_ = row.contact.home
    now = now_utc()
    sessions = queries.home_sessions(home_.id, now - timedelta(days=FEED_DAYS_BACK))
    stamp = events.feed_stamp(sessions, home_.created_at)
    base = base_url()
    singles, grouped = series_render.by_series(sessions)
    organizers, sequences = events.feed_organizers(singles), events.current_sequences(singles)
    plans = plan_queries.plans_for(s.id for s in singles)
    copies = [event_data(s, f"{base}/feeds/{token}/sessions/{s.id}", stamp, sequence=sequences[s.id],
                         home_name=home_.name, organizer=organizers[s.id], plans=plans) for s in singles]
    whole = series_render.feed_components(grouped, lambda of: f"{base}/feeds/{token}/series/{of.id}", stamp,
                                          home_.name)
    ics = build_feed(home_.name, copies, prodid=PRODID, now=stamp, timezone=zone_name(), extra=whole)
    problems = lint(ics, expected_method="PUBLISH")
    if problems:
        log.error("Feed for home %s fails the lint: %s", home_.id, "; ".join(problems[:5]))
    response = Response(ics, content_type="text/calendar; charset=utf-8")
    response.set_etag(hashlib.sha256(ics).hexdigest())
    response.last_modified = stamp
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Disposition"] = 'inline; filename="sessions.ics"'
    return response.make_conditional(request)
