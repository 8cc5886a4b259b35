"""Routing configuration: queues, reps (with their calendars and caps) and ordered rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from leadrelay.calendars import HolidayCalendarCode, TimeZoneName, WorkingHours
from leadrelay.routing.domain.conditions import Condition
from leadrelay.routing.domain.requalify import Requalification
from leadrelay.sla_policies import PolicySet

Strategy = Literal["round_robin", "weighted_round_robin", "load_balanced", "skills_match"]
POOL = "pool"


class Queue(BaseModel):
    """A team that receives leads: how it picks a rep, where handoffs go, who backs it up."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    strategy: Strategy = "round_robin"
    handoff_topic: str | None = Field(default=None, description="default: handoffs.<name>")
    sla_policy: str = Field(description="the SLA monitor's policy that times this queue's handoffs")
    manager: str | None = Field(default=None, description="rep id: the escalation ladder's second step")
    fallback: str | None = Field(default=None, description="queue that takes leads nobody here can take")

    @model_validator(mode="before")
    @classmethod
    def _forget_own_deadlines(cls, value: Any) -> Any:
        # Versions stored before the SLA policies alone set deadlines carried minutes of their own.
        if isinstance(value, dict) and "sla_minutes" in value:
            value = {k: v for k, v in value.items() if k != "sla_minutes"}
        return value


class Window(BaseModel):
    """A period of absence (out of office)."""

    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("out-of-office times need a time zone offset")
        if self.end <= self.start:
            raise ValueError("out-of-office end must be after its start")
        return self


class Rep(BaseModel):
    """A sales rep: queues, calendar (time zone, hours, holidays, absences), caps, skills."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100)
    name: str
    email: str | None = None
    queues: list[str] = Field(min_length=1)
    active: bool = True
    timezone: TimeZoneName = "UTC"
    # Local working hours per weekday ("09:00-17:00"; "22:00-06:00" runs past midnight). None: always.
    working_hours: WorkingHours | None = None
    holidays: HolidayCalendarCode | None = Field(
        default=None, description="country (and subdivision) code: US, DE-BY, GB-SCT"
    )
    out_of_office: list[Window] = Field(default_factory=list)
    daily_cap: int | None = Field(default=None, ge=0)
    concurrent_cap: int | None = Field(default=None, ge=0)
    weight: float = Field(default=1.0, gt=0, description="share under weighted round robin")
    skills: list[str] = Field(default_factory=list)
    attributes: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _one_queue_shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "queue" in data and "queues" not in data:
            data = {**data, "queues": [data["queue"]]}
            del data["queue"]
        return data


class Rule(BaseModel):
    """If every condition holds the lead goes to `queue`.

    A condition maps a lead field (lead.company.employees, lead.company.country, score, grade, stage, ...)
    to a value, a list of values, or operators: {eq, ne, in, not_in, gte, gt, lte, lt, contains, exists}.
    An unknown field or operator, or an operator that does not suit the field's kind, is refused.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    when: dict[str, Any] = Field(default_factory=dict)
    queue: str
    require_skills: list[str] = Field(default_factory=list, description="for skills_match queues")

    _conditions: tuple[Condition, ...] = PrivateAttr(default=())

    @field_validator("when")
    @classmethod
    def _evaluable(cls, value: dict[str, Any]) -> dict[str, Any]:
        for path, test in value.items():
            Condition.of(path, test)  # ConditionError (a ValueError) names the field and the operator
        return value

    def model_post_init(self, context: Any, /) -> None:
        """Compile the conditions once."""
        self._conditions = tuple(Condition.of(path, test) for path, test in self.when.items())

    def compiled(self) -> CompiledRule:
        """Return the rule prepared for evaluation."""
        return CompiledRule(self.name, self.queue, self._conditions, tuple(self.require_skills))


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A rule prepared for evaluation: paths split and tests checked once, not per lead."""

    name: str
    queue: str
    conditions: tuple[Condition, ...]
    require_skills: tuple[str, ...]


class RoutingConfig(BaseModel):
    """A versioned routing configuration."""

    model_config = ConfigDict(extra="forbid")

    version: str = Field(min_length=1, max_length=100)
    queues: list[Queue] = Field(min_length=1)
    reps: list[Rep]
    rules: list[Rule]
    requalification: Requalification = Field(default_factory=Requalification)

    _by_queue: dict[str, list[Rep]] = PrivateAttr(default_factory=dict)
    _by_id: dict[str, Rep] = PrivateAttr(default_factory=dict)
    _queues: dict[str, Queue] = PrivateAttr(default_factory=dict)
    _rules: list[CompiledRule] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _references_exist(self) -> RoutingConfig:
        names = [q.name for q in self.queues]
        if len(set(names)) != len(names):
            raise ValueError("queue names must be unique")
        rep_ids = [r.id for r in self.reps]
        if len(set(rep_ids)) != len(rep_ids):
            raise ValueError("rep ids must be unique")
        for index, rule in enumerate(self.rules):
            if rule.queue not in names:
                raise ValueError(
                    f"rules.{index}.queue: rule {rule.name!r} names unknown queue {rule.queue!r} "
                    f"(queues: {', '.join(names)})"
                )
        for rep in self.reps:
            for member_of in rep.queues:
                if member_of not in names:
                    raise ValueError(f"rep {rep.id!r} is in unknown queue {member_of!r}")
        for queue in self.queues:
            if queue.manager is not None and queue.manager not in rep_ids:
                raise ValueError(f"queue {queue.name!r} names unknown manager {queue.manager!r}")
            if queue.fallback is not None and queue.fallback not in names:
                raise ValueError(f"queue {queue.name!r} falls back to unknown queue {queue.fallback!r}")
        for start in self.queues:  # fallback chains must end
            seen, step = {start.name}, start.fallback
            while step is not None:
                if step in seen:
                    raise ValueError(f"queue {start.name!r}: fallbacks form a cycle through {step!r}")
                seen.add(step)
                step = self.queue(step).fallback
        self._by_queue = {n: [r for r in self.reps if n in r.queues and r.active] for n in names}
        self._by_id = {r.id: r for r in self.reps}
        self._queues = {q.name: q for q in self.queues}
        self._rules = [rule.compiled() for rule in self.rules]
        return self

    def compiled_rules(self) -> list[CompiledRule]:
        """Return the rules in order, prepared for evaluation."""
        return self._rules

    def queue(self, name: str) -> Queue:
        """Return a queue by name."""
        return next(q for q in self.queues if q.name == name)

    def reps_of(self, queue: str) -> list[Rep]:
        """Return the active reps of a queue, in configured order."""
        return list(self._by_queue.get(queue, []))

    def rep(self, rep_id: str) -> Rep | None:
        """Return a rep by id."""
        return self._by_id.get(rep_id)

    def fallback_chain(self, queue: str) -> list[Queue]:
        """Return the queue and its fallbacks, in order."""
        chain, current = [], self._queues.get(queue)
        while current is not None:
            chain.append(current)
            current = self._queues.get(current.fallback) if current.fallback else None
        return chain


def config_problems(exc: ValidationError, prefix: str = "") -> list[dict[str, str]]:
    """Return each validation error as {field: its path in the document, reason}.

    A cross-reference check runs on the whole document, so it names its path at the start of its message
    ("rules.2.queue: ..."); that path becomes the field.
    """
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"])
        reason = error["msg"].removeprefix("Value error, ")
        if not field and (found := re.match(r"^((?:rules|reps|queues)\.\d+\.\w+): (.*)$", reason, re.S)):
            field, reason = found.groups()
        problems.append({"field": prefix + (field or "<root>"), "reason": reason})
    return problems


def unknown_sla_policies(config: RoutingConfig, policies: PolicySet) -> list[dict[str, str]]:
    """Return a problem for each queue naming an SLA policy the SLA monitor's active set lacks (a typo would
    time its handoffs by the set's fallback)."""
    known = [p.name for p in policies.policies]
    return [
        {
            "field": f"queues.{i}.sla_policy",
            "reason": f"no SLA policy {queue.sla_policy!r} in the active set {policies.version!r} "
            f"(known: {', '.join(known)})",
        }
        for i, queue in enumerate(config.queues)
        if queue.sla_policy not in known
    ]
