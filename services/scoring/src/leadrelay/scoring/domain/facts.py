"""A lead as scoring sees it: its captured facts (a dict) and its activities."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Activity:
    """One engagement event of a lead."""

    kind: str
    at: datetime


# The parts of a captured lead that describe the person, by LeadCaptured's nesting.
PERSON_FACTS = {
    "contact": ("name", "phone", "company", "title"),
    "company": ("size", "employees", "industry", "country"),
}


def merge_facts(earlier: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any]:
    """Return a lead's facts after a capture: capture's merged lead, except that a partial (abandoned) submission
    never replaces complete facts: their person fields, message and question stay."""
    if not earlier or earlier.get("completeness") != "complete" or incoming.get("completeness") != "partial":
        return incoming
    merged = {
        **incoming,
        "completeness": "complete",
        "message": earlier.get("message") or incoming.get("message"),
        "question_asked": bool(earlier.get("question_asked") or incoming.get("question_asked")),
    }
    for part, names in PERSON_FACTS.items():
        known = {n: v for n in names if (v := (earlier.get(part) or {}).get(n)) is not None}
        merged[part] = {**(incoming.get(part) or {}), **known}
    return merged
