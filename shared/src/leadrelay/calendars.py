"""Working calendars: local working hours per weekday, public holidays, and time counted in business hours.

Everything is computed in the calendar's own time zone (zoneinfo), so a daylight-saving change moves
nothing: 09:00-17:00 stays 09:00-17:00 local time. Routing uses it for reps' availability, the SLA monitor
for business-hours deadlines.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data
from pydantic import AfterValidator

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def parse_hours(window: str) -> tuple[int, int]:
    """Return a "HH:MM-HH:MM" window as minutes after midnight (start, end); end < start runs overnight."""
    return _parse_hours(window)


@lru_cache(maxsize=1024)
def _parse_hours(window: str) -> tuple[int, int]:
    try:
        start, end = (part.strip() for part in window.split("-"))
        minutes = [int(t.split(":")[0]) * 60 + int(t.split(":")[1]) for t in (start, end)]
    except (ValueError, IndexError) as exc:
        raise ValueError(f"working hours {window!r}: expected HH:MM-HH:MM") from exc
    if not all(0 <= m <= 24 * 60 for m in minutes) or minutes[0] == minutes[1]:
        raise ValueError(f"working hours {window!r}: times must differ and lie within 00:00-24:00")
    return minutes[0], minutes[1]


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
def zone(name: str) -> ZoneInfo:
    """Return a time zone by IANA name (cached)."""
    return ZoneInfo(name)


def holiday_on(code: str | None, day: date) -> str | None:
    """Return the holiday's name when `day` is a public holiday in the calendar, else None."""
    return holiday_calendar(code, day.year).get(day) if code else None


def in_working_hours(hours: Mapping[Any, list[str]], local: datetime) -> bool:
    """Return True when the local time falls in one of the day's windows (or yesterday's overnight one)."""
    minute = local.hour * 60 + local.minute
    for window in hours.get(WEEKDAYS[local.weekday()], []):
        start, end = parse_hours(window)
        if (start < end and start <= minute < end) or (start > end and minute >= start):
            return True
    for window in hours.get(WEEKDAYS[(local.weekday() - 1) % 7], []):
        start, end = parse_hours(window)
        if start > end and minute < end:
            return True
    return False


def working_intervals(
    hours: Mapping[Any, list[str]], tz: str, holidays: str | None, since: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Yield the calendar's working intervals (UTC-aware, in order) that end after `since`, for two years.

    A window belongs to the day it starts on; a public holiday removes the windows that start on it.
    """
    local_zone = zone(tz)
    since = since.astimezone(UTC)
    first = since.astimezone(local_zone).date() - timedelta(days=1)  # yesterday's overnight window
    for offset in range(2 * 366 + 1):
        day = first + timedelta(days=offset)
        if holiday_on(holidays, day):
            continue
        for window in sorted(hours.get(WEEKDAYS[day.weekday()], []), key=lambda w: parse_hours(w)[0]):
            start_min, end_min = parse_hours(window)
            start = _local(day, start_min, local_zone)
            end = _local(day + timedelta(days=1) if end_min < start_min else day, end_min, local_zone)
            if end > since:
                yield max(start, since), end


def _local(day: date, minute: int, local_zone: ZoneInfo) -> datetime:
    # Adding to an aware datetime is wall-clock arithmetic: 09:00 is 09:00 local whatever that day's offset.
    # The result goes to UTC at once, because Python compares and subtracts same-zone datetimes by wall time.
    return (datetime(day.year, day.month, day.day, tzinfo=local_zone) + timedelta(minutes=minute)).astimezone(
        UTC
    )


def add_business_time(
    start: datetime, duration: timedelta, hours: Mapping[Any, list[str]], tz: str, holidays: str | None
) -> datetime:
    """Return the instant when `duration` of working time has passed after `start` (ValueError: no hours)."""
    remaining = duration
    for begin, end in working_intervals(hours, tz, holidays, start):
        available = end - begin
        if remaining <= available:
            return begin + remaining
        remaining -= available
    raise ValueError("the calendar has no working hours in the next two years")


def business_time_between(
    start: datetime, end: datetime, hours: Mapping[Any, list[str]], tz: str, holidays: str | None
) -> timedelta:
    """Return how much working time lies between two instants."""
    total = timedelta()
    for begin, finish in working_intervals(hours, tz, holidays, start):
        if begin >= end:
            break
        total += min(finish, end) - begin
    return total


def known_time_zone(name: str) -> str:
    """Return name when it is an IANA time zone, else raise ValueError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


def valid_working_hours(hours: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
    """Return hours when every window reads as HH:MM-HH:MM, else raise ValueError."""
    for windows in hours.values():
        for window in windows:
            parse_hours(window)
    return hours


def known_holidays(code: str) -> str:
    """Return code when it names a holiday calendar (a country, or country-subdivision), else raise ValueError."""
    holiday_calendar(code, 2026)
    return code


# Field types for configuration models: validated where they are declared, in one place for every service.
TimeZoneName = Annotated[str, AfterValidator(known_time_zone)]
WorkingHours = Annotated[dict[Weekday, list[str]], AfterValidator(valid_working_hours)]
HolidayCalendarCode = Annotated[str, AfterValidator(known_holidays)]
