"""Whether a rep is working at a given instant: active, not away, not on a holiday, inside working hours.

Everything is decided in the rep's own time zone (zoneinfo), so daylight-saving changes shift nothing: a
09:00-17:00 day stays 09:00-17:00 local time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadrelay.calendars import holiday_calendar, in_working_hours
from leadrelay.calendars import zone as _zone
from leadrelay.routing.domain.config import Rep


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
