"""Booking rules that need no HTTP: series dates across clock changes, settings checked at start."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from facilitator import providers
from facilitator.booking import calendar_notes, services, times
from facilitator.errors import DomainError
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


# Issue 14: clashes, past dates, bank holidays, monthly by weekday ---------------------------------


def test_monthly_by_weekday_keeps_the_nth_weekday_and_a_fifth_one_is_the_last():
    assert times.series_dates(date(2026, 3, 10), "month", 3, "weekday") == [
        date(2026, 3, 10), date(2026, 4, 14), date(2026, 5, 12)]  # the second Tuesday
    assert times.series_dates(date(2026, 1, 31), "month", 3, "weekday") == [
        date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 28)]  # the last Saturday
    assert times.series_dates(date(2026, 1, 31), "month", 2) == [date(2026, 1, 31), date(2026, 2, 28)]


def test_scottish_bank_holidays_are_named_and_a_skipped_series_keeps_its_count():
    assert calendar_notes.bank_holiday(date(2026, 11, 30)) == "Saint Andrew's Day"  # Scotland only
    assert calendar_notes.bank_holiday(date(2026, 8, 3)) == "Summer Bank Holiday"  # not England's 31st
    assert calendar_notes.bank_holiday(date(2026, 8, 31)) is None
    first = times.local_moment(date(2026, 11, 23), time(10), ZONE)
    starts = times.series_starts(first, "week", 3, ZONE, skip=calendar_notes.is_bank_holiday)
    assert [s.date() for s in starts] == [date(2026, 11, 23), date(2026, 12, 7), date(2026, 12, 14)]


def _plan(group, **changes):
    values = {"title": "PSL", "starts_at": datetime(2026, 3, 16, 10, tzinfo=UTC), "duration_minutes": 60,
              "provider": "link", "join_url": "https://meet.example.org/x"}
    return services.plan_booking(group, services.Booking(**{**values, **changes}), providers.hub(),
                                 zone=ZONE, now=datetime(2026, 3, 2, 9, tzinfo=UTC))


def test_a_clash_is_found_in_any_group_of_the_facilitator_and_refused_unless_allowed(make):
    fiona, other = make.user("facilitator", name="Fiona"), make.user("facilitator")
    mine, theirs = (make.group(facilitators=[u], provider="link") for u in (fiona, other))
    second = make.group("Second group", facilitators=[fiona], provider="link")
    services.book_sessions(fiona, mine, services.Booking(
        "Existing", datetime(2026, 3, 16, 10, 30, tzinfo=UTC), 60, provider="link",
        join_url="https://meet.example.org/x"), providers.hub(), zone=ZONE,
        now=datetime(2026, 3, 2, 9, tzinfo=UTC))

    plan = _plan(second)
    assert [c.text(ZONE) for c in plan.clashes] == [
        f"Fiona is already booked for “Existing” ({mine.name}) on Monday 16 March 2026, 10:30–11:30 GMT."]
    assert _plan(theirs).clashes == []
    just_before = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)  # ends as the other starts
    assert _plan(second, starts_at=just_before).clashes == []
    with pytest.raises(services.ClashError) as refused:
        services.book_sessions(fiona, second, _booking(), providers.hub(), zone=ZONE,
                               now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert refused.value.status == 409 and "Existing" in refused.value.fields["starts_at"]
    booked = services.book_sessions(fiona, second, _booking(allow_clash=True), providers.hub(), zone=ZONE,
                                    now=datetime(2026, 3, 2, 9, tzinfo=UTC))
    assert len(booked.sessions) == 1


def _booking(**changes):
    return services.Booking("PSL", datetime(2026, 3, 16, 10, tzinfo=UTC), 60, provider="link",
                            join_url="https://meet.example.org/x", **changes)


def test_a_past_date_is_refused_unless_recorded_only_and_recording_is_for_the_past(make):
    group = make.group(facilitators=[make.user("facilitator")], provider="link")
    last_week = datetime(2026, 2, 23, 10, tzinfo=UTC)
    with pytest.raises(DomainError) as refused:
        _plan(group, starts_at=last_week)
    assert "Record a past session" in refused.value.fields["starts_at"]
    assert _plan(group, starts_at=last_week, record_only=True).past == [True]
    with pytest.raises(DomainError) as future:
        _plan(group, record_only=True)
    assert "record_only" in future.value.fields
    with pytest.raises(DomainError) as straddling:  # a series running from the past into the future
        _plan(group, starts_at=last_week, every="week", count=3, record_only=True)
    assert "record_only" in straddling.value.fields


def test_the_preview_says_the_monthly_rule_and_each_bank_holiday(make):
    group = make.group(facilitators=[make.user("facilitator")], provider="link")
    plan = _plan(group, starts_at=datetime(2026, 3, 31, 10, tzinfo=UTC), every="month", count=3)
    assert plan.repeat_rule == ("Every month on the same date: the 31st. Months without that date use "
                                "their last day: 30 April 2026.")
    weekly = _plan(group, starts_at=datetime(2026, 4, 27, 9, tzinfo=UTC), every="week", count=2)
    assert weekly.holidays == [
        "Monday 4 May 2026 is a bank holiday in Scotland (May Day). Tick “Skip bank holidays in Scotland” "
        "(skip_holidays in the API) to leave it out of the series."]
    assert weekly.repeat_rule is None
