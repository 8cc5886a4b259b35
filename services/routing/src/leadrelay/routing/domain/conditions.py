"""Rule conditions: a field path tested against a value, a list of values, or operators."""

from __future__ import annotations

from typing import Any

from leadrelay.routing.domain.config import CompiledRule


def lookup(facts: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted path of nested dicts, or None."""
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def holds(test: Any, value: Any) -> bool:
    """Return whether a value passes one condition."""
    if isinstance(test, list):
        return value in test
    if not isinstance(test, dict):
        return bool(value == test)
    for op, operand in test.items():
        if op == "exists":
            if (value is not None) != bool(operand):
                return False
        elif op == "in" and value not in operand:
            return False
        elif op == "not_in" and value in operand:
            return False
        elif op == "contains" and (value is None or str(operand).lower() not in str(value).lower()):
            return False
        elif op in ("gte", "gt", "lte", "lt") and not _compare(op, value, operand):
            return False
    return True


def _compare(op: str, value: Any, operand: Any) -> bool:
    if value is None:
        return False
    left: float | str
    right: float | str
    try:
        left, right = float(value), float(operand)
    except (TypeError, ValueError):
        left, right = str(value), str(operand)  # grades compare as text: "A1" < "B2"
    return {"gte": left >= right, "gt": left > right, "lte": left <= right, "lt": left < right}[op]  # type: ignore[operator]


def first_failure(rule: CompiledRule, facts: dict[str, Any]) -> str | None:
    """Return why the rule does not match (the first failing condition), or None when it matches."""
    for path, parts, test, shown in rule.conditions:
        value: Any = facts
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        if not holds(test, value):
            return f"{path}={value!r} fails {shown}"
    return None
