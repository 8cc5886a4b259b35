"""Who is working now: time zones, hours past midnight, daylight saving, holidays, absences, caps."""

from datetime import UTC, datetime, timedelta

from leadrelay.routing.domain.availability import availability, local_day_start
from leadrelay.routing.domain.config import Rep, Window
from leadrelay.routing.domain.decide import candidate
from leadrelay.routing.domain.strategies import RepLoad

WEEKDAYS = {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}


def rep(**fields) -> Rep:
    return Rep.model_validate({"id": "r", "name": "R", "queues": ["q"], **fields})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_working_hours_are_local_to_the_reps_time_zone():
    berlin = rep(timezone="Europe/Berlin", working_hours=WEEKDAYS)
    # Wednesday 2026-11-25: 08:30 UTC is 09:30 in Berlin; 16:30 UTC is 17:30
    assert availability(berlin, at("2026-11-25T08:30:00+00:00"))[0] is True
    working, why = availability(berlin, at("2026-11-25T16:30:00+00:00"))
    assert working is False and why == "outside working hours (Wed 17:30 Europe/Berlin)"
    assert availability(berlin, at("2026-11-28T10:00:00+00:00"))[0] is False  # Saturday


def test_a_night_shift_runs_past_midnight_into_the_next_day():
    night = rep(timezone="America/New_York", working_hours={"mon": ["22:00-06:00"]})
    assert availability(night, at("2026-11-23T23:30:00-05:00"))[0] is True  # Monday night
    assert availability(night, at("2026-11-24T05:59:00-05:00"))[0] is True  # Tuesday early morning
    assert availability(night, at("2026-11-24T06:00:00-05:00"))[0] is False
    assert availability(night, at("2026-11-24T23:30:00-05:00"))[0] is False  # no Tuesday night shift


def test_daylight_saving_changes_keep_local_hours():
    berlin = rep(timezone="Europe/Berlin", working_hours=WEEKDAYS)
    # 2026-03-27 (Friday, winter time, UTC+1) and 2026-03-30 (Monday, summer time, UTC+2)
    assert availability(berlin, at("2026-03-27T08:00:00+00:00"))[0] is True  # 09:00 local
    assert availability(berlin, at("2026-03-30T07:00:00+00:00"))[0] is True  # 09:00 local
    assert availability(berlin, at("2026-03-30T06:30:00+00:00"))[0] is False  # 08:30 local
    assert availability(berlin, at("2026-03-30T15:00:00+00:00"))[0] is False  # 17:00 local
    start = local_day_start(berlin, at("2026-03-30T07:00:00+00:00"))
    assert start == at("2026-03-29T22:00:00+00:00")


def test_public_holidays_of_the_reps_calendar():
    bavaria = rep(timezone="Europe/Berlin", working_hours=WEEKDAYS, holidays="DE-BY")
    working, why = availability(bavaria, at("2026-01-06T10:00:00+00:00"))  # Epiphany, Bavaria only
    assert working is False and why.startswith("public holiday (") and "DE-BY" in why
    hamburg = rep(timezone="Europe/Berlin", working_hours=WEEKDAYS, holidays="DE-HH")
    assert availability(hamburg, at("2026-01-06T10:00:00+00:00"))[0] is True
    us = rep(timezone="America/Chicago", holidays="US")
    assert availability(us, at("2026-11-26T15:00:00+00:00"))[0] is False  # Thanksgiving


def test_out_of_office_and_inactive_reps_are_not_eligible():
    now = at("2026-11-25T10:00:00+00:00")
    away = rep(out_of_office=[Window(start=now - timedelta(days=1), end=now + timedelta(days=2))])
    working, why = availability(away, now)
    assert working is False and why.startswith("out of office until 2026-11-27")
    assert availability(rep(active=False), now) == (False, "inactive")
    back = rep(out_of_office=[Window(start=now - timedelta(days=5), end=now - timedelta(hours=1))])
    judged = candidate(back, now, RepLoad())
    assert judged.eligible and judged.returning


def test_caps_exclude_a_rep_with_the_reason():
    now = datetime(2026, 11, 25, 10, tzinfo=UTC)
    capped = rep(concurrent_cap=3, daily_cap=10)
    assert candidate(capped, now, RepLoad(open=2, today=9)).eligible
    assert candidate(capped, now, RepLoad(open=3, today=0)).why == "at concurrent cap (3 open of 3)"
    assert candidate(capped, now, RepLoad(open=0, today=10)).why == "at daily cap (10 today of 10)"
    excluded = candidate(capped, now, RepLoad(), {"r": "already had this lead"})
    assert not excluded.eligible and excluded.why == "already had this lead"
