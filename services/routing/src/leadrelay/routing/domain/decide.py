"""Routing decisions as pure functions: which queue, which reps may take the lead, when contact is due."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadrelay.routing.domain.availability import availability, returned_recently
from leadrelay.routing.domain.conditions import first_failure
from leadrelay.routing.domain.config import Queue, Rep, RoutingConfig
from leadrelay.routing.domain.strategies import Candidate, RepLoad
from leadrelay.sla_policies import PolicySet

HANDED_OFF_STAGES = frozenset({"sql"})
RETURN_RAMP = timedelta(hours=4)


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
    require_skills: list[str] = field(default_factory=list)


def choose_queue(facts: dict[str, Any], config: RoutingConfig) -> QueueChoice:
    """Return the queue of the first matching rule (first match wins)."""
    checks = []
    for rule in config.compiled_rules():
        failure = first_failure(rule.conditions, facts)
        if failure is None:
            why = "all conditions hold" if rule.conditions else "matches every lead"
            checks.append(RuleCheck(rule.name, True, why))
            return QueueChoice(config.queue(rule.queue), rule.name, checks, list(rule.require_skills))
        checks.append(RuleCheck(rule.name, False, failure))
    return QueueChoice(None, None, checks)


def candidate(rep: Rep, now: datetime, load: RepLoad, excluded: Mapping[str, str] | None = None) -> Candidate:
    """Judge one rep for this lead now: excluded (already had it), away, or at a cap."""
    if excluded and rep.id in excluded:
        return Candidate(rep, False, excluded[rep.id], load)
    available, why = availability(rep, now)
    if not available:
        return Candidate(rep, False, why, load)
    if rep.concurrent_cap is not None and load.open >= rep.concurrent_cap:
        return Candidate(rep, False, f"at concurrent cap ({load.open} open of {rep.concurrent_cap})", load)
    if rep.daily_cap is not None and load.today >= rep.daily_cap:
        return Candidate(rep, False, f"at daily cap ({load.today} today of {rep.daily_cap})", load)
    return Candidate(rep, True, why, load, returning=returned_recently(rep, now, RETURN_RAMP))


def candidates(
    reps: list[Rep],
    now: datetime,
    loads: Mapping[str, RepLoad],
    excluded: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Judge every rep of a queue, in configured order."""
    return [candidate(rep, now, loads.get(rep.id, RepLoad()), excluded) for rep in reps]


def due_at(policies: PolicySet | None, queue: Queue, grade: str, start: datetime) -> datetime | None:
    """Return when first contact is due for a lead of this grade, by the SLA policies that will time its clock
    (None before routing has heard of any)."""
    return policies.deadline(queue.sla_policy, grade, start)[0] if policies is not None else None


def escalation_step(attempt: int) -> str:
    """Return who takes a breached handoff's next attempt: the next rep, then the manager, then the pool."""
    return "next_rep" if attempt == 2 else "manager" if attempt == 3 else "pool"
