"""Whether a rep is working at a given instant: active, not away, not on a holiday, inside working hours.

Everything is decided in the rep's own time zone (zoneinfo), so daylight-saving changes shift nothing: a
09:00-17:00 day stays 09:00-17:00 local time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_data

from leadrelay.routing.domain.config import WEEKDAYS, Rep, parse_hours


@lru_cache(maxsize=256)
def holiday_calendar(code: str, year: int) -> dict[date, str]:
    """Return the public holidays of a country ("US") or subdivision ("DE-BY") in a year."""
    country, _, subdivision = code.partition("-")
    try:
        calendar = holiday_data.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError as exc:
        raise ValueError(f"unknown holiday calendar {code!r}") from exc
    return dict(calendar.items())


@lru_cache(maxsize=4096)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def in_working_hours(hours: Mapping[Any, list[str]], local: datetime) -> bool:
    """Return True when the local time falls in one of the day's windows (or yesterday's overnight one)."""
    minute = local.hour * 60 + local.minute
    today = WEEKDAYS[local.weekday()]
    for window in hours.get(today, []):
        start, end = parse_hours(window)
        if (start < end and start <= minute < end) or (start > end and minute >= start):
            return True
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    for window in hours.get(yesterday, []):
        start, end = parse_hours(window)
        if start > end and minute < end:
            return True
    return False


def availability(rep: Rep, now: datetime) -> tuple[bool, str]:
    """Return whether the rep can take a lead now, and why (or why not)."""
    if not rep.active:
        return False, "inactive"
    for absence in rep.out_of_office:
        if absence.start <= now < absence.end:
            return False, f"out of office until {absence.end.isoformat()}"
    local = now.astimezone(_zone(rep.timezone))
    if rep.holidays:
        holiday = holiday_calendar(rep.holidays, local.year).get(local.date())
        if holiday:
            return False, f"public holiday ({holiday}, {rep.holidays})"
    if rep.working_hours is not None and not in_working_hours(rep.working_hours, local):
        return False, f"outside working hours ({local:%a %H:%M} {rep.timezone})"
    return True, "working now"


def local_day_start(rep: Rep, now: datetime) -> datetime:
    """Return the instant the rep's current local day began (daily caps count from it)."""
    local = now.astimezone(_zone(rep.timezone))
    midnight = datetime.combine(local.date(), datetime.min.time(), tzinfo=local.tzinfo)
    return midnight.astimezone(now.tzinfo)


def returned_recently(rep: Rep, now: datetime, ramp: timedelta) -> bool:
    """Return True when an absence of the rep ended less than `ramp` ago (see the fairness rule)."""
    return any(a.end <= now < a.end + ramp for a in rep.out_of_office)
