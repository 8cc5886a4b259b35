"""Business-hours arithmetic: weekends, holidays, daylight-saving changes, time zones, overnight shifts."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrelay.calendars import add_business_time, business_time_between

OFFICE = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_time_inside_a_working_day_counts_minute_for_minute():
    start = at("2026-11-25T10:00:00+00:00")  # Wednesday, London
    assert add_business_time(start, timedelta(minutes=5), OFFICE, "Europe/London", None) == at(
        "2026-11-25T10:05:00+00:00"
    )


def test_a_deadline_that_runs_past_closing_time_continues_next_morning_and_skips_the_weekend():
    friday = at("2026-11-27T16:30:00+00:00")
    due = add_business_time(friday, timedelta(hours=1), OFFICE, "Europe/London", None)
    assert due == at("2026-11-30T09:30:00+00:00")  # Monday
    saturday = at("2026-11-28T12:00:00+00:00")
    assert add_business_time(saturday, timedelta(minutes=5), OFFICE, "Europe/London", None) == at(
        "2026-11-30T09:05:00+00:00"
    )


def test_public_holidays_are_skipped():
    christmas_eve = at(
        "2026-12-24T16:00:00+00:00"
    )  # Thursday; 25 and 26 (Boxing Day, observed 28) are off in GB
    due = add_business_time(christmas_eve, timedelta(hours=2), OFFICE, "Europe/London", "GB")
    assert due == at("2026-12-29T10:00:00+00:00")
    no_holidays = add_business_time(christmas_eve, timedelta(hours=2), OFFICE, "Europe/London", None)
    assert no_holidays == at("2026-12-25T10:00:00+00:00")


def test_the_time_zone_of_the_team_decides_the_hours():
    start = at("2026-11-25T10:00:00+00:00")  # 05:00 in New York: before the office opens
    due = add_business_time(start, timedelta(minutes=30), OFFICE, "America/New_York", None)
    assert due == at("2026-11-25T14:30:00+00:00")  # 09:30 New York


def test_daylight_saving_changes_keep_local_hours_and_count_real_time():
    # Europe/Berlin springs forward on Sunday 2026-03-29: Friday 09:00 is 08:00 UTC, Monday 09:00 is 07:00 UTC
    friday = at("2026-03-27T15:30:00+00:00")  # 16:30 local
    due = add_business_time(friday, timedelta(hours=1), OFFICE, "Europe/Berlin", None)
    assert due == at("2026-03-30T07:30:00+00:00")  # Monday 09:30 local, summer time
    # an overnight shift across the autumn change is 9 real hours long, not 8
    night = {"sat": ["22:00-06:00"]}
    start = at("2026-10-24T20:00:00+00:00")  # Saturday 22:00 in Berlin (UTC+2)
    assert business_time_between(start, start + timedelta(days=1), night, "Europe/Berlin", None) == timedelta(
        hours=9
    )


def test_an_overnight_window_belongs_to_the_day_it_starts():
    night = {"mon": ["22:00-06:00"]}
    tuesday_early = at("2026-11-24T03:00:00-05:00")
    assert add_business_time(tuesday_early, timedelta(hours=1), night, "America/New_York", None) == at(
        "2026-11-24T04:00:00-05:00"
    )


def test_a_calendar_without_hours_is_an_error():
    with pytest.raises(ValueError, match="no working hours"):
        add_business_time(at("2026-11-25T10:00:00+00:00"), timedelta(minutes=1), {}, "UTC", None)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)),
    st.integers(0, 5000),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata"]),
)
def test_the_business_time_until_a_deadline_is_the_duration_asked_for(start, minutes, tz):
    duration = timedelta(minutes=minutes)
    due = add_business_time(start, duration, OFFICE, tz, "US")
    assert due >= start
    assert business_time_between(start, due, OFFICE, tz, "US") == duration
