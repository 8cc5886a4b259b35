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


def lookup(facts: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted path of nested dicts, or None."""
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
