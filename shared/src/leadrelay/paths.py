"""Field paths through nested documents ("lead.company.country"), read the same way by every service."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def value_at(document: Any, path: str | Iterable[str]) -> Any:
    """Return the value at a dotted path (or its parts, split once) through nested dicts, or None."""
    value = document
    for part in path.split(".") if isinstance(path, str) else path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
