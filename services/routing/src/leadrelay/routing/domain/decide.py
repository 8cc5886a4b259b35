"""Routing decisions as pure functions: which queue, which rep, when contact is due, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadrelay.routing.domain.config import Queue, Rep, RoutingConfig, Rule

HANDED_OFF_STAGES = frozenset({"sql"})


@dataclass(frozen=True)
class RuleCheck:
    """How one rule fared against the lead."""

    rule: str
    matched: bool
    why: str


@dataclass(frozen=True)
class QueueChoice:
    """The queue a lead goes to, the rule that sent it there, and every rule checked on the way."""

    queue: Queue | None
    rule: str | None
    checks: list[RuleCheck] = field(default_factory=list)


def lookup(facts: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted path of nested dicts, or None."""
    value: Any = facts
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def check_rule(rule: Rule, facts: dict[str, Any]) -> RuleCheck:
    """Test every condition of a rule; say which one failed."""
    for path, allowed in rule.when.items():
        options = allowed if isinstance(allowed, list) else [allowed]
        value = lookup(facts, path)
        if value not in options:
            return RuleCheck(rule.name, False, f"{path}={value!r} not in {options!r}")
    return RuleCheck(rule.name, True, "all conditions hold" if rule.when else "matches every lead")


def choose_queue(facts: dict[str, Any], config: RoutingConfig) -> QueueChoice:
    """Return the queue of the first matching rule (first match wins)."""
    checks = []
    for rule in config.rules:
        check = check_rule(rule, facts)
        checks.append(check)
        if check.matched:
            return QueueChoice(config.queue(rule.queue), rule.name, checks)
    return QueueChoice(None, None, checks)


def pick_round_robin(reps: list[Rep], cursor: int) -> tuple[Rep, int]:
    """Return the rep at the cursor and the next cursor; the queue takes turns strictly."""
    if not reps:
        raise ValueError("no eligible reps")
    index = cursor % len(reps)
    return reps[index], index + 1


def due_at(queue: Queue, grade: str, now: datetime) -> datetime:
    """Return when first contact is due for a lead of this grade (wall-clock minutes)."""
    letter = grade[:1].upper() if grade else "D"
    minutes = queue.sla_minutes.get(letter, max(queue.sla_minutes.values()))
    return now + timedelta(minutes=minutes)
