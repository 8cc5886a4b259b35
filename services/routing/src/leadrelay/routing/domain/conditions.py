"""Rule conditions: a lead field tested by operators that suit its kind; what cannot be evaluated is refused.

A condition maps a field path to a value (eq), a list of values (in), or operators. Validation and
evaluation share one table, so nothing validates that evaluation would skip.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadrelay.paths import value_at
from leadrelay.routing.domain.fields import FieldSpec, rule_fields


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _ordered(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    return lambda value, operand: _number(value) and compare(value, operand)


# operator -> (the field kinds it applies to, how it evaluates a lead's value against the operand)
EVALUATE: dict[str, tuple[frozenset[str], Callable[[Any, Any], bool]]] = {
    "eq": (frozenset({"number", "text", "boolean"}), lambda value, operand: value == operand),
    "ne": (frozenset({"number", "text", "boolean"}), lambda value, operand: value != operand),
    "in": (frozenset({"number", "text"}), lambda value, operand: value in operand),
    "not_in": (frozenset({"number", "text"}), lambda value, operand: value not in operand),
    "gte": (frozenset({"number"}), _ordered(lambda a, b: a >= b)),
    "gt": (frozenset({"number"}), _ordered(lambda a, b: a > b)),
    "lte": (frozenset({"number"}), _ordered(lambda a, b: a <= b)),
    "lt": (frozenset({"number"}), _ordered(lambda a, b: a < b)),
    "contains": (
        frozenset({"text"}),
        lambda value, operand: isinstance(value, str) and operand.lower() in value.lower(),
    ),
    "exists": (
        frozenset({"number", "text", "boolean", "time", "list", "mapping"}),
        lambda value, operand: (value is not None) == operand,
    ),
}
OPERATORS = frozenset(EVALUATE)


class ConditionError(ValueError):
    """A condition that cannot be evaluated: unknown field or operator, or an operand of the wrong type."""


@dataclass(frozen=True, slots=True)
class Test:
    """One operator and its operand, checked against the field's kind."""

    op: str
    operand: Any

    def holds(self, value: Any) -> bool:
        """Return whether the lead's value passes."""
        return bool(EVALUATE[self.op][1](value, self.operand))

    def __str__(self) -> str:
        return f"{self.op} {self.operand!r}"


def compile_condition(path: str, test: Any) -> tuple[Test, ...]:
    """Return the condition's tests; ConditionError naming the field, the operator and why."""
    field = _field(path)
    if isinstance(test, list):
        tests = {"in": test}
    elif isinstance(test, dict):
        if not test:
            raise ConditionError(f"{path!r}: no operator; use one of {', '.join(sorted(OPERATORS))}")
        tests = test
    else:
        tests = {"eq": test}
    return tuple(_test(path, field, str(op), operand) for op, operand in tests.items())


def _field(path: str) -> FieldSpec:
    fields = rule_fields()
    if path not in fields:
        close = difflib.get_close_matches(path, list(fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConditionError(f"{path!r} is not a lead field{hint} (fields: {', '.join(fields)})")
    return fields[path]


def _test(path: str, field: FieldSpec, op: str, operand: Any) -> Test:
    if op not in EVALUATE:
        close = difflib.get_close_matches(op, list(OPERATORS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConditionError(
            f"{path!r}: unknown operator {op!r}{hint} (operators: {', '.join(sorted(OPERATORS))})"
        )
    kinds, _ = EVALUATE[op]
    if field.kind not in kinds:
        raise ConditionError(
            f"{path!r} is {field.kind}: {op!r} applies to {' or '.join(sorted(kinds))} fields"
        )
    if op == "exists":
        _expect(path, op, operand, bool, "true or false")
    elif op in ("in", "not_in"):
        if not isinstance(operand, list) or not operand:
            raise ConditionError(f"{path!r}: {op!r} needs a non-empty list, not {operand!r}")
        for item in operand:
            _value(path, op, field, item)
    else:
        _value(path, op, field, operand)
    return Test(op, operand)


def _value(path: str, op: str, field: FieldSpec, operand: Any) -> None:
    if field.kind == "number" and not _number(operand):
        raise ConditionError(f"{path!r} is a number: {op!r} needs a number, not {operand!r}")
    if field.kind == "boolean":
        _expect(path, op, operand, bool, "true or false")
    if field.kind == "text":
        # YAML reads NO (Norway) as false and 1000 as a number: a text field says so rather than never matching
        _expect(path, op, operand, str, "text (quote it in YAML)")
        if field.choices and operand not in field.choices:
            raise ConditionError(f"{path!r}: {operand!r} is not one of {', '.join(field.choices)}")


def _expect(path: str, op: str, operand: Any, kind: type, shown: str) -> None:
    if not isinstance(operand, kind):
        raise ConditionError(f"{path!r}: {op!r} needs {shown}, not {operand!r}")


def first_failure(conditions: tuple[Condition, ...], facts: dict[str, Any]) -> str | None:
    """Return why a rule does not match (the first failing test), or None when every test holds."""
    for condition in conditions:
        value = value_at(facts, condition.parts)
        for test in condition.tests:
            if not test.holds(value):
                return f"{condition.path}={value!r} fails {test}"
    return None


@dataclass(frozen=True, slots=True)
class Condition:
    """A field path, split once, with its compiled tests."""

    path: str
    parts: tuple[str, ...]
    tests: tuple[Test, ...]

    @classmethod
    def of(cls, path: str, test: Any) -> Condition:
        """Compile one `when` entry; ConditionError when it cannot be evaluated."""
        return cls(path, tuple(path.split(".")), compile_condition(path, test))
