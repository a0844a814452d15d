"""A series as one calendar entry, built the same way for its emails, the feed and downloads.

:func:`series_data` turns a contact's occurrences of a series into the master (the rule from
their first occurrence to their last, with ``EXDATE`` for each date the rule gives that is not
one of theirs) and one override per occurrence moved, lengthened or retitled on its own, or
with a plan of its own (issue 19: its DESCRIPTION carries the theme and agenda).
:func:`render_series_message` fills in an outbox row for the series (see ``invites.series``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from icalendar import Component

from facilitator.clock import as_local
from facilitator.invites import events, plan_queries, queries, render, series
from facilitator.invites.tokens import mint_series_token
from facilitator.invites.wording import session_time, short_when, zone_label
from facilitator.models import Contact, MeetingSession, MessageKind, Method, OutboxMessage, Series
from facilitator.models.plans import SessionPlan
from facilitator.recurrence import monthly_rule, week_of_month
from integrations import ical_series
from integrations.ical import Attendee
from integrations.ical_series import (
    Occurrence,
    Rule,
    SeriesData,
    build_series_cancel,
    build_series_publish,
    build_series_request,
)

EVERY_WORDS = {"week": "Every week", "fortnight": "Every fortnight"}


def organizer(of: Series, recipient: str = "") -> tuple[str, str]:
    """The series' one ORGANIZER: that of its first session (fixed for life, ``invites.events``)."""
    first = series.series_sessions(of)[0]
    return events.organizer(first, recipient)


def _differs(of: Series, session: MeetingSession) -> bool:
    slot = session.series_slot_at
    length = timedelta(minutes=of.duration_minutes)
    expected = (slot, slot + length if slot else None, of.title)
    return (session.starts_at, session.ends_at, session.title) != expected


def _rule(of: Series) -> Rule:
    first_day = as_local(of.first_starts_at, of.timezone).date()
    return Rule(every=of.rule, first_day=first_day, monthly_by=of.monthly_by or "date",
                nth=week_of_month(first_day))


def _ending(rule: Rule, of: Series, slots: list[datetime], extra: bool) -> Rule:
    """The rule ending at the last slot: by COUNT, or by UNTIL once ended early or with RDATEs."""
    given = [s for s in slots if rule.gives(as_local(s, of.timezone).date())]
    if of.until is not None or extra:
        return replace(rule, until=slots[-1])
    return replace(rule, count=len(given))


def series_data(of: Series, sessions: list[MeetingSession], link: str | None, now: datetime, *,
                sequence: int, organizer_of: tuple[str, str], home_name: str = "") -> SeriesData:
    """The calendar entry of these occurrences of the series (scheduled, in rule order)."""
    first = sessions[0].series_slot_at
    last = sessions[-1].series_slot_at
    assert first is not None and last is not None
    slots = [start for start in series.rule_starts(of, last) if start >= first]
    taken = {s.series_slot_at for s in sessions}
    rule = _rule(of)
    given = {s for s in slots if rule.gives(as_local(s, of.timezone).date())}
    rdates = tuple(s for s in slots if s not in given and s in taken)
    plans = plan_queries.plans_for(s.id for s in sessions)
    overrides = tuple(
        Occurrence(recurrence_id=s.series_slot_at, start=s.starts_at, end=s.ends_at, summary=s.title,
                   description=render.description(s, now, home_name, plans))
        for s in sessions if s.series_slot_at is not None and (_differs(of, s) or s.id in plans))
    return SeriesData(
        uid=of.ical_uid, sequence=sequence, zone=of.timezone, rule=_ending(rule, of, slots, bool(rdates)),
        start=first,
        duration=timedelta(minutes=of.duration_minutes), summary=of.title,
        description=describe(of, home_name), location_url=link, organizer_email=organizer_of[0],
        organizer_name=organizer_of[1], exdates=tuple(s for s in given if s not in taken), rdates=rdates,
        overrides=overrides)


def rule_words(of: Series) -> str:
    if of.rule == "month":
        return monthly_rule([as_local(of.first_starts_at, of.timezone)], of.monthly_by or "date")
    local = as_local(of.first_starts_at, of.timezone)
    return f"{EVERY_WORDS[of.rule]} on {local:%A} at {local:%H:%M} ({zone_label(of.timezone)})."


def describe(of: Series, home_name: str = "") -> str:
    lines = [f"{of.group.name}: Peer Support and Learning sessions"]
    if home_name:
        lines.append(f"For {home_name}")
    lines.append(rule_words(of))
    return "\n".join(lines)


def download_ics(of: Series, sessions: list[MeetingSession], link: str | None, now: datetime,
                 home_name: str = "") -> bytes:
    """These occurrences of the series (a contact's, never empty) as a file to add by hand: the
    same UID, master, overrides and SEQUENCE as the contact's emails, without an ATTENDEE."""
    data = series_data(of, sessions, link, now, sequence=of.sequence, organizer_of=organizer(of),
                       home_name=home_name)
    return build_series_publish(data, prodid=render.PRODID, now=now)


def page_state(session: MeetingSession) -> dict[str, object] | None:
    """For a session's page: its series invited as one entry, and where those emails stand."""
    of = series.series_of(session)
    if of is None:
        return None
    return {"series": of, "rule": rule_words(of), **series.invitation_state(of)}


Grouped = list[tuple[Series, list[MeetingSession]]]


def by_series(sessions: list[MeetingSession]) -> tuple[list[MeetingSession], Grouped]:
    """Sessions that are their own event, and those of each series invited as one entry."""
    singles: list[MeetingSession] = []
    grouped: dict[str, tuple[Series, list[MeetingSession]]] = {}
    rows = series.series_rows({s.series_id for s in sessions if s.series_id})
    for session in sessions:
        of = rows.get(session.series_id or "")
        if of is None or session.series_slot_at is None:
            singles.append(session)
        else:
            grouped.setdefault(of.id, (of, []))[1].append(session)
    ordered = [(of, sorted(members, key=lambda s: s.series_slot_at)) for of, members in grouped.values()]
    return singles, ordered


def feed_components(grouped: Grouped, link_of: Callable[[Series], str], now: datetime,
                    home_name: str) -> list[Component]:
    """A feed's series: each as its master and overrides (cancelled occurrences left out, a
    series with none left shown CANCELLED), the same shape and SEQUENCE as its emails."""
    entries = []
    for of, sessions in grouped:
        live = [s for s in sessions if not s.is_cancelled]
        data = series_data(of, live or sessions, link_of(of), now, sequence=of.sequence,
                           organizer_of=organizer(of), home_name=home_name)
        entries.append((data, "CONFIRMED" if live else "CANCELLED"))
    return ical_series.feed_components(entries, now)


# ------------------------------------------------------------------------------ an email


def render_series_message(message: OutboxMessage, now: datetime) -> None:
    """Fill in a series message: the contact's complete state, or a CANCEL (one or all)."""
    of = message.series
    contact = message.contact
    assert of is not None and contact is not None
    sequence, is_update = series.next_sequence(of, contact.id)
    message.sequence = sequence
    of.sequence = max(of.sequence, sequence)
    kind = MessageKind(message.kind)
    token = mint_series_token(of, contact) if kind == MessageKind.REQUEST else None
    links = render.contact_links(contact, token)
    sessions = series.contact_sessions(of, contact.id, message.to_email)
    everyone = [s for s in series.series_sessions(of) if s.series_slot_at is not None]
    shown = sessions or [s for s in everyone if not s.is_cancelled] or everyone
    try:
        who = organizer(of, message.to_email)
    except events.NoOrganizer as exc:
        raise render.RenderError(str(exc)) from exc
    data = series_data(of, shown, links.join, now, sequence=sequence, organizer_of=who,
                       home_name=contact.home.name)
    calendar, cancelled = _calendar(message, data, Attendee(message.to_email, contact.name), now)
    context = _context(of, contact, links, now, sessions)
    context.update(is_update=is_update, cancelled_when=session_time(cancelled, now) if cancelled else "")
    _fill(message, of, kind, context, calendar, now, cancelled)
    message.reply_to = message.reply_to or who[0]


def _calendar(message: OutboxMessage, data: SeriesData, attendee: Attendee,
              now: datetime) -> tuple[bytes, MeetingSession | None]:
    if data.organizer_email.strip().lower() == message.to_email.strip().lower():
        raise render.RenderError(f"{message.to_email} is this series' calendar organizer, so it cannot "
                                 "also be sent the invitation as a guest.")
    cancelled = message.session if message.kind == MessageKind.CANCEL else None
    try:
        if message.kind == MessageKind.REQUEST:
            return build_series_request(data, attendee, prodid=render.PRODID, now=now), None
        occurrence = None
        if cancelled is not None and cancelled.series_slot_at is not None:
            occurrence = Occurrence(cancelled.series_slot_at, cancelled.starts_at, cancelled.ends_at,
                                    cancelled.title, render.description(cancelled, now))
        return build_series_cancel(data, attendee, prodid=render.PRODID, now=now,
                                   occurrence=occurrence), cancelled
    except ValueError as exc:
        raise render.RenderError(f"cannot build the calendar: {exc}") from exc


def _context(of: Series, contact: Contact, links: render.Links, now: datetime,
             sessions: list[MeetingSession]) -> dict[str, object]:
    upcoming = [s for s in sessions if s.ends_at > now]
    first = upcoming[0] if upcoming else None
    plans = plan_queries.plans_for(s.id for s in upcoming)
    return {
        "contact": contact, "home": contact.home, "group": of.group, "title": of.title, "links": links,
        "rule_words": rule_words(of), "occurrences": [_with_theme(session_time(s, now), plans.get(s.id))
                                                      for s in upcoming],
        "provider": render.provider_label(first) if first else "the meeting",
        "window": int(render.current_app.config["JOIN_WINDOW_MINUTES"]),
        "facilitators": queries.facilitators_of(of.group),
    }


def _with_theme(when: str, plan: SessionPlan | None) -> str:
    """An occurrence in the email's list, with its plan's theme when it has one."""
    return f"{when}. Plan for this session: {plan.theme}" if plan is not None and plan.theme else when


def _fill(message: OutboxMessage, of: Series, kind: MessageKind, context: dict[str, object], calendar: bytes,
          now: datetime, cancelled: MeetingSession | None) -> None:
    if kind == MessageKind.CANCEL:
        when = short_when(cancelled, now) if cancelled else rule_words(of).rstrip(".")
        subject, template, method = f"Cancelled: {of.title}, {when}", "series_cancel", Method.CANCEL
    else:
        prefix = "Updated series" if context["is_update"] else "Invitation to a series"
        subject, template, method = f"{prefix}: {of.title}", "series_request", Method.REQUEST
    render.fill_content(message, now, subject, template, context, calendar=calendar, method=method.value)
