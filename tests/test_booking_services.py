"""Booking rules that need no HTTP: series dates across clock changes, settings checked at start."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from facilitator.booking import times
from tests.support.providers import ZOOM_CONFIG

ZONE = "Europe/London"


def test_a_weekly_series_keeps_its_wall_clock_time_across_both_changes():
    first = times.local_moment(date(2026, 3, 16), time(10), ZONE)

    starts = times.series_starts(first, "week", 34, ZONE)

    assert {s.strftime("%H:%M") for s in starts} == {"10:00"}
    utc_hours = [s.astimezone(UTC).hour for s in starts]
    assert utc_hours[:2] == [10, 10] and utc_hours[2] == 9 and utc_hours[-2:] == [10, 10]
    warnings = times.clock_change_warnings(starts, ZONE)
    assert len(warnings) == 2
    assert warnings[0].startswith("This series crosses a clock change (the clocks go forward between "
                                  "23 March and 30 March 2026)")
    assert "in UTC they move from 10:00 to 09:00" in warnings[0]
    assert "in UTC they move from 09:00 to 10:00" in warnings[1]


def test_a_time_the_clocks_skip_comes_out_an_hour_later():
    moment = times.local_moment(date(2026, 3, 29), time(1, 30), ZONE)
    assert moment.strftime("%H:%M %Z") == "02:30 BST"
    assert moment.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_monthly_uses_the_same_date_or_the_last_day_of_a_shorter_month():
    assert times.series_dates(date(2027, 1, 31), "month", 4) == [
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30)]
    assert times.series_dates(date(2026, 12, 15), "month", 2) == [date(2026, 12, 15), date(2027, 1, 15)]
    assert times.series_dates(date(2026, 3, 2), "fortnight", 3) == [
        date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30)]
    assert times.series_dates(date(2026, 3, 2), None, 5) == [date(2026, 3, 2)]


def test_a_single_session_has_no_clock_change_warning():
    assert times.clock_change_warnings([times.local_moment(date(2026, 3, 29), time(10), ZONE)],
                                          ZONE) == []


@pytest.mark.parametrize(("setting", "value"), [
    ("SYNC_LEASE_SECONDS", 0), ("CIRCUIT_FAILURE_THRESHOLD", "five"), ("ZOOM_DAILY_LIMIT_PER_HOST", -1),
    ("SYNC_INLINE_LIMIT", True),
])
def test_sync_settings_are_checked_when_the_app_starts(make_app, setting, value):
    with pytest.raises(ValueError, match=setting):
        make_app(**{setting: value})


def test_me_is_refused_as_the_zoom_host_when_the_app_starts(make_app):
    with pytest.raises(ValueError, match="not 'me'"):
        make_app(**{**ZOOM_CONFIG, "ZOOM_HOST_USER": "me"})
