"""The grade-to-deadline rule: minutes to first contact for a lead of a grade, from a policy's table."""

from __future__ import annotations

from collections.abc import Mapping


def minutes_for_grade(deadlines: Mapping[str, float], grade: str | None) -> float:
    """Return the minutes for the grade's letter ("A+" reads as "A"); any other grade gets the longest."""
    letter = grade[:1].upper() if grade else ""
    return deadlines.get(letter, max(deadlines.values()))
