"""The series builder on its own: VTIMEZONE rules per zone, rules per repeat, and what two
independent readers expand from them (no app, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from integrations.ical import Attendee
from integrations.ical_series import Occurrence, Rule, SeriesData, build_series_cancel, build_series_request

NOW = datetime(2025, 1, 10, 12, 0, tzinfo=UTC)


def weekly(zone: str, start: datetime, count: int, **extra) -> SeriesData:
    return SeriesData(uid="series-1@facilitator", sequence=0, zone=zone, start=start,
                      rule=Rule("week", start.date(), count=count), duration=timedelta(minutes=60),
                      summary="PSL", description="", location_url="https://psl.example.org/j/abc",
                      organizer_email="psl@facilitator.example", organizer_name="PSL sessions", **extra)


def observances(ics: bytes) -> dict[str, str]:
    (zone,) = icalendar.Calendar.from_ical(ics).walk("VTIMEZONE")
    return {part.name: part["RRULE"].to_ical().decode() for part in zone.subcomponents}


def yearly(month: int, byday: str) -> str:
    return f"FREQ=YEARLY;BYDAY={byday};BYMONTH={month}"


@pytest.mark.parametrize(("zone", "expected"), [
    ("Europe/London", {"DAYLIGHT": yearly(3, "-1SU"), "STANDARD": yearly(10, "-1SU")}),
    ("America/New_York", {"DAYLIGHT": yearly(3, "2SU"), "STANDARD": yearly(11, "1SU")}),
    ("Australia/Sydney", {"STANDARD": yearly(4, "1SU"), "DAYLIGHT": yearly(10, "1SU")}),
])
def test_the_zone_goes_out_as_yearly_rules_and_readers_keep_the_local_time(zone, expected, calendar_oracles):
    start = datetime(2025, 1, 14, 10, 0, tzinfo=ZoneInfo(zone))
    ics = build_series_request(weekly(zone, start, 52), Attendee("manager@home.example"), now=NOW)

    assert observances(ics) == expected
    local = [(start + timedelta(weeks=n)).astimezone(UTC) for n in range(52)]  # wall-clock arithmetic
    wanted = [(s.strftime("%Y-%m-%dT%H:%M:%SZ"), (s + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))
              for s in local]
    for reader, shown in calendar_oracles.expand(ics).items():
        assert shown == wanted, reader


def test_a_zone_without_clock_changes_is_one_standard_part():
    start = datetime(2025, 3, 4, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    ics = build_series_request(weekly("Asia/Tokyo", start, 4), Attendee("manager@home.example"), now=NOW)
    (zone,) = icalendar.Calendar.from_ical(ics).walk("VTIMEZONE")
    assert [part.name for part in zone.subcomponents] == ["STANDARD"]
    assert zone.subcomponents[0]["TZOFFSETTO"].to_ical() == "+0900"


@pytest.mark.parametrize(("rule", "expected"), [
    (Rule("fortnight", date(2025, 3, 4), count=3), b"FREQ=WEEKLY;COUNT=3;INTERVAL=2"),
    (Rule("month", date(2025, 3, 31), count=3), b"FREQ=MONTHLY;COUNT=3;INTERVAL=1;BYMONTHDAY=-1"),
    (Rule("month", date(2025, 3, 12), count=3), b"FREQ=MONTHLY;COUNT=3;INTERVAL=1;BYMONTHDAY=12"),
    (Rule("month", date(2025, 3, 25), count=3, monthly_by="weekday", nth=-1),
     b"FREQ=MONTHLY;COUNT=3;INTERVAL=1;BYDAY=-1TU"),
    (Rule("week", date(2025, 3, 4), until=datetime(2025, 3, 25, 10, tzinfo=UTC)),
     b"FREQ=WEEKLY;UNTIL=20250325T100000Z;INTERVAL=1"),
])
def test_each_repeat_has_its_rule(rule, expected):
    assert rule.recur().to_ical() == expected


def test_a_cancel_of_one_occurrence_names_its_recurrence_id_in_local_time():
    london = ZoneInfo("Europe/London")
    start = datetime(2025, 3, 4, 10, 0, tzinfo=london)
    slot = datetime(2025, 4, 1, 10, 0, tzinfo=london)
    one = Occurrence(slot, slot.astimezone(UTC), slot.astimezone(UTC) + timedelta(hours=1), "PSL", "")
    ics = build_series_cancel(weekly("Europe/London", start, 10), Attendee("manager@home.example"), now=NOW,
                              occurrence=one)
    calendar = icalendar.Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert event["RECURRENCE-ID"].params["TZID"] == "Europe/London"
    assert event["RECURRENCE-ID"].dt == slot
    assert "RRULE" not in event
