"""Build a series as one recurring calendar entry (RFC 5545 RRULE, RFC 5546 iTIP).

One master VEVENT carries the rule (``DTSTART;TZID=`` the series' zone, with that zone's full
VTIMEZONE, STANDARD and DAYLIGHT, so the local time holds across clock changes in every client),
``EXDATE`` for each date the rule makes that is not an occurrence (a bank holiday skipped, an
occurrence cancelled), and one VEVENT with ``RECURRENCE-ID`` per occurrence moved or retitled.
Every component of a message carries the same SEQUENCE. Plain data in, bytes out; the shared
pieces (text cleaning, addresses, alarms) are those of :mod:`integrations.ical`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Component, Event, Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from integrations import ical

__all__ = ["Occurrence", "Rule", "SeriesData", "build_series_cancel", "build_series_publish",
           "build_series_request", "feed_components", "series_components"]

EVERY = {"week": ("WEEKLY", 1), "fortnight": ("WEEKLY", 2), "month": ("MONTHLY", 1)}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class Rule:
    """How the series repeats from its first date: ``every`` week, fortnight or month; a monthly
    one on the same date (clamped to the month's last day when shorter) or the same weekday of
    the month (``nth`` 1 to 4, or -1 for the last). Ends after ``count`` dates or at ``until``."""

    every: str
    first_day: date
    count: int | None = None
    until: datetime | None = None
    monthly_by: str = "date"
    nth: int = 1

    def gives(self, day: date) -> bool:
        """Does the rule itself give this date of the series? A monthly series from the 29th or
        30th moved to February's last day does not (BYSETPOS would, but ical.js and Outlook
        misread it): that date goes out as an RDATE."""
        return not (self.every == "month" and self.monthly_by == "date" and day.day != self.first_day.day
                    and self.first_day.day in (29, 30))

    def recur(self) -> vRecur:
        freq, interval = EVERY[self.every]
        parts: dict[str, object] = {"freq": freq, "interval": interval}
        if self.every == "month" and self.monthly_by == "weekday":
            parts["byday"] = f"{self.nth}{WEEKDAYS[self.first_day.weekday()]}"
        elif self.every == "month" and self.first_day.day == 31:
            parts["bymonthday"] = -1  # the 31st, or the last day of a shorter month
        elif self.every == "month":
            # The 29th or 30th skips February: its last day comes as an RDATE (``gives``).
            parts["bymonthday"] = self.first_day.day
        if self.until is not None:
            parts["until"] = self.until.astimezone(UTC)
        else:
            parts["count"] = self.count
        return vRecur(parts)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """An occurrence that differs from the rule: ``recurrence_id`` is the start the rule gives it."""

    recurrence_id: datetime
    start: datetime
    end: datetime
    summary: str
    description: str


@dataclass(frozen=True, slots=True)
class SeriesData:
    """The series as one calendar entry. ``start`` is the first occurrence the rule gives (aware);
    ``exdates`` are starts the rule gives that are not occurrences, ``rdates`` occurrences it
    does not give (see :meth:`Rule.gives`)."""

    uid: str
    sequence: int
    zone: str
    rule: Rule
    start: datetime
    duration: timedelta
    summary: str
    description: str
    location_url: str | None
    organizer_email: str
    organizer_name: str
    exdates: tuple[datetime, ...] = ()
    rdates: tuple[datetime, ...] = ()
    overrides: tuple[Occurrence, ...] = field(default_factory=tuple)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.zone))


def _event_data(series: SeriesData, summary: str, description: str, start: datetime,
                end: datetime) -> ical.EventData:
    return ical.EventData(
        uid=series.uid, sequence=series.sequence, start=start, end=end, summary=summary,
        description=description, location_url=series.location_url,
        organizer_email=series.organizer_email, organizer_name=series.organizer_name)


def _timed(vevent: Event, series: SeriesData, start: datetime, end: datetime) -> None:
    """DTSTART/DTEND in the series' zone (ical's builder writes UTC; a rule needs local time)."""
    for name, value in (("dtstart", start), ("dtend", end)):
        del vevent[name]
        vevent.add(name, series.local(value))


def _master(series: SeriesData, now: datetime, status: str) -> Event:
    end = series.start + series.duration
    data = _event_data(series, series.summary, series.description, series.start, end)
    vevent = ical.vevent_of(data, now, status)
    _timed(vevent, series, series.start, end)
    vevent.add("rrule", series.rule.recur())
    if series.rdates:
        vevent.add("rdate", [series.local(moment) for moment in sorted(series.rdates)])
    if series.exdates:
        vevent.add("exdate", [series.local(moment) for moment in sorted(series.exdates)])
    return vevent


def _override(series: SeriesData, occurrence: Occurrence, now: datetime, status: str) -> Event:
    data = _event_data(series, occurrence.summary, occurrence.description, occurrence.start, occurrence.end)
    vevent = ical.vevent_of(data, now, status)
    _timed(vevent, series, occurrence.start, occurrence.end)
    vevent.add("recurrence-id", series.local(occurrence.recurrence_id))
    return vevent


def _transitions(zone: ZoneInfo, year: int) -> list[datetime]:
    """The UTC moments in ``year`` when the zone's offset changes (found day by day, then hour by hour)."""
    found = []
    day = datetime(year, 1, 1, tzinfo=UTC)
    while day.year == year:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            hour = day
            while hour.astimezone(zone).utcoffset() == day.astimezone(zone).utcoffset():
                hour += timedelta(hours=1)
            found.append(hour)
        day = following
    return found


def _observance(zone: ZoneInfo, moment: datetime) -> Component:
    """One STANDARD or DAYLIGHT part as a yearly rule (Outlook misreads lists of dates)."""
    before, after = (moment - timedelta(seconds=1)).astimezone(zone), moment.astimezone(zone)
    part = TimezoneDaylight() if after.dst() else TimezoneStandard()
    wall = moment.astimezone(UTC).replace(tzinfo=None) + (before.utcoffset() or timedelta())
    last_days = calendar.monthrange(wall.year, wall.month)[1]
    nth = -1 if wall.day + 7 > last_days else (wall.day - 1) // 7 + 1
    part.add("dtstart", wall)
    part.add("tzoffsetfrom", before.utcoffset())
    part.add("tzoffsetto", after.utcoffset())
    part.add("tzname", after.tzname())
    byday = f"{nth}{WEEKDAYS[wall.weekday()]}"
    part.add("rrule", vRecur({"freq": "YEARLY", "bymonth": wall.month, "byday": byday}))
    return part


def _vtimezone(series: SeriesData) -> Timezone:
    """The zone's STANDARD and DAYLIGHT parts as yearly rules from the year before the series starts;
    a zone without clock changes that year is one STANDARD part."""
    zone, year = ZoneInfo(series.zone), series.start.year - 1  # onsets before the first start
    vtimezone = Timezone()
    vtimezone.add("tzid", series.zone)
    changes = _transitions(zone, year)
    if len(changes) == 2:
        for moment in changes:
            vtimezone.add_component(_observance(zone, moment))
        return vtimezone
    first = datetime(year, 1, 1, tzinfo=zone)
    part = TimezoneStandard()
    part.add("dtstart", datetime(year, 1, 1))
    part.add("tzoffsetfrom", first.utcoffset())
    part.add("tzoffsetto", first.utcoffset())
    part.add("tzname", first.tzname() or series.zone)
    vtimezone.add_component(part)
    return vtimezone


def series_components(series: SeriesData, now: datetime, *, status: str = "CONFIRMED") -> list[Event]:
    """The master and its overrides, with no ATTENDEE (what a feed or a download carries)."""
    return [_master(series, now, status), *(_override(series, o, now, status) for o in series.overrides)]


def feed_components(entries: list[tuple[SeriesData, str]], now: datetime) -> list[Component]:
    """For a feed: one VTIMEZONE per zone, then each series' master and overrides with its
    status ("CONFIRMED", or "CANCELLED" for a series with nothing left)."""
    zones = {data.zone: _vtimezone(data) for data, _ in sorted(entries, key=lambda e: e[0].start)}
    events = [v for data, status in entries for v in series_components(data, now, status=status)]
    return [*zones.values(), *events]


def _with_attendee(vevent: Event, series: SeriesData, attendee: ical.Attendee, *, rsvp: bool) -> Event:
    ical.add_attendee(vevent, _event_data(series, "", "", series.start, series.start + series.duration),
                       attendee, rsvp=rsvp)
    return vevent


def _calendar(method: str, series: SeriesData, prodid: str, events: list[Event]) -> bytes:
    cal = ical.new_calendar(method, prodid)
    cal.add_component(_vtimezone(series))
    for vevent in events:
        cal.add_component(vevent)
    return cal.to_ical()


def build_series_request(series: SeriesData, attendee: ical.Attendee, *, prodid: str = ical.DEFAULT_PRODID,
                         now: datetime | None = None) -> bytes:
    """A ``METHOD:REQUEST`` with the series' complete current state for one recipient."""
    stamp = ical.aware_now(now)
    events = [_with_attendee(v, series, attendee, rsvp=True) for v in series_components(series, stamp)]
    for vevent in events:
        vevent.add_component(ical.reminder_alarm(ical.clean_text(str(vevent.get("summary", "")))))
    return _calendar("REQUEST", series, prodid, events)


def build_series_cancel(series: SeriesData, attendee: ical.Attendee, *, prodid: str = ical.DEFAULT_PRODID,
                        now: datetime | None = None, occurrence: Occurrence | None = None) -> bytes:
    """A ``METHOD:CANCEL`` of the whole series, or of one ``occurrence`` (its RECURRENCE-ID)."""
    stamp = ical.aware_now(now)
    if occurrence is None:
        vevent = _master(series, stamp, "CANCELLED")
    else:
        vevent = _override(series, occurrence, stamp, "CANCELLED")
    return _calendar("CANCEL", series, prodid, [_with_attendee(vevent, series, attendee, rsvp=False)])


def build_series_publish(series: SeriesData, *, prodid: str = ical.DEFAULT_PRODID,
                         now: datetime | None = None) -> bytes:
    """The series as a ``METHOD:PUBLISH`` file to add to a calendar by hand (no ATTENDEE)."""
    return _calendar("PUBLISH", series, prodid, series_components(series, ical.aware_now(now)))
