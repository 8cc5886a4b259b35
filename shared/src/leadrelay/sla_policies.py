"""SLA policies: first-contact deadlines per grade, in business hours of a team calendar or wall-clock time.

The SLA monitor owns them (stores, versions, activates); it announces each activation (SlaPoliciesActivated), so
routing can state a handoff's deadline by the same rule the monitor's clock keeps."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from leadrelay.calendars import HolidayCalendarCode, TimeZoneName, Weekday, WorkingHours, add_business_time


def minutes_for_grade(deadlines: Mapping[str, float], grade: str | None) -> float:
    """Return the minutes for the grade's letter ("A+" reads as "A"); any other grade gets the longest."""
    letter = grade[:1].upper() if grade else ""
    return deadlines.get(letter, max(deadlines.values()))


class Calendar(BaseModel):
    """A team's working time: time zone, hours per weekday, public holidays."""

    model_config = ConfigDict(extra="forbid")

    timezone: TimeZoneName
    working_hours: WorkingHours
    holidays: HolidayCalendarCode | None = Field(
        default=None, description="country (and subdivision) code: US, DE-BY"
    )

    @field_validator("working_hours")
    @classmethod
    def _some_hours(cls, value: dict[Weekday, list[str]]) -> dict[Weekday, list[str]]:
        if not any(value.values()):
            raise ValueError("a calendar needs some working hours")
        return value


class Policy(BaseModel):
    """Minutes to first contact per grade letter, counted in a calendar's business hours or wall-clock time."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    clock: Literal["business_hours", "wall_clock"] = "wall_clock"
    calendar: str | None = None
    deadlines: dict[str, float] = Field(
        min_length=1, description="grade letter -> minutes; others get the longest"
    )
    warn_at: float | None = Field(
        default=None, gt=0, lt=1, description="warn when this share of the time is gone"
    )
    callback_grace_minutes: float = Field(
        default=15, ge=0, description="after a callback time the lead asked for"
    )
    callback_horizon_days: float = Field(
        default=30, gt=0, le=366, description="the latest callback a lead may ask for, in days from now"
    )

    @field_validator("deadlines")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        if any(minutes <= 0 for minutes in value.values()):
            raise ValueError("deadlines are positive minutes")
        return value


class PolicySet(BaseModel):
    """A versioned set of SLA policies and the calendars they count in."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=100)
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    policies: list[Policy] = Field(min_length=1)
    fallback: str | None = Field(
        default=None,
        description="the policy of a handoff whose queue names one this set lacks (default: the first listed)",
    )

    @model_validator(mode="after")
    def _calendars_exist(self) -> PolicySet:
        for policy in self.policies:
            if policy.clock == "business_hours" and policy.calendar is None:
                raise ValueError(f"policy {policy.name!r} counts business hours but names no calendar")
            if policy.calendar is not None and policy.calendar not in self.calendars:
                raise ValueError(f"policy {policy.name!r} names unknown calendar {policy.calendar!r}")
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ValueError("policy names must be unique")
        if self.fallback is not None and self.fallback not in names:
            raise ValueError(f"fallback names unknown policy {self.fallback!r}")
        return self

    def policy(self, name: str) -> Policy | None:
        """Return a policy by name."""
        return next((p for p in self.policies if p.name == name), None)

    def governing(self, name: str) -> Policy:
        """Return the policy that times a handoff naming `name`: that one, or the set's fallback."""
        return self.policy(name) or self.policy(self.fallback or "") or self.policies[0]

    def deadline(self, name: str, grade: str | None, start: datetime) -> tuple[datetime, datetime | None]:
        """Return (due_at, warn_at or None) of a handoff under the policy named `name`, started at `start`."""
        chosen = self.governing(name)
        minutes = minutes_for_grade(chosen.deadlines, grade)
        due = self._after(chosen, start, minutes)
        warn = self._after(chosen, start, minutes * chosen.warn_at) if chosen.warn_at else None
        return due, warn

    def _after(self, chosen: Policy, start: datetime, minutes: float) -> datetime:
        if chosen.clock == "wall_clock" or chosen.calendar is None:
            return start + timedelta(minutes=minutes)
        calendar = self.calendars[chosen.calendar]
        return add_business_time(
            start, timedelta(minutes=minutes), calendar.working_hours, calendar.timezone, calendar.holidays
        )
