"""Rules that routing, scoring and the SLA monitor share: the grade's deadline, field paths, calendar fields."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from leadrelay.calendars import HolidayCalendarCode, TimeZoneName, WorkingHours
from leadrelay.paths import value_at
from leadrelay.sla_policies import minutes_for_grade


@pytest.mark.parametrize(
    ("grade", "minutes"), [("A", 5), ("a+", 5), ("B-", 30), ("C", 240), ("", 240), (None, 240)]
)
def test_a_grade_gets_its_letters_minutes_and_any_other_the_longest(grade, minutes):
    assert minutes_for_grade({"A": 5, "B": 30, "D": 240}, grade) == minutes


def test_a_path_reads_through_nested_dicts_and_stops_at_anything_else():
    lead = {"company": {"country": "DE", "size": "51-200"}, "tags": ["a"]}
    assert value_at(lead, "company.country") == "DE"
    assert value_at(lead, ("company", "size")) == "51-200"
    assert value_at(lead, "company.city") is None
    assert value_at(lead, "tags.0") is None
    assert value_at(lead, "score.total") is None


class Team(BaseModel):
    timezone: TimeZoneName = "UTC"
    working_hours: WorkingHours | None = None
    holidays: HolidayCalendarCode | None = None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("timezone", "Europe/Nowhere", "unknown time zone"),
        ("working_hours", {"mon": ["9-17"]}, "expected HH:MM-HH:MM"),
        ("working_hours", {"someday": ["09:00-17:00"]}, "Input should be"),
        ("holidays", "XX", "unknown holiday calendar"),
    ],
)
def test_calendar_fields_refuse_what_they_cannot_use_at_the_field(field, value, reason):
    with pytest.raises(ValidationError) as caught:
        Team.model_validate({field: value})
    error = caught.value.errors()[0]
    assert error["loc"][0] == field and reason in error["msg"]


def test_calendar_fields_keep_what_they_can_use():
    team = Team(timezone="Europe/Berlin", working_hours={"mon": ["09:00-17:00"]}, holidays="DE-BY")
    assert team.holidays == "DE-BY"
