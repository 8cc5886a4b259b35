"""Routing configuration: queues, reps and ordered rules."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Queue(BaseModel):
    """A team that receives leads, with its strategy and follow-up terms."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    strategy: Literal["round_robin"] = "round_robin"
    sla_policy: str
    sla_minutes: dict[str, float] = Field(description="first-contact deadline by grade letter")


class Rep(BaseModel):
    """A sales rep in one queue."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    email: str | None = None
    queue: str
    active: bool = True


class Rule(BaseModel):
    """If every condition holds (field path -> allowed values), the lead goes to `queue`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    when: dict[str, list[Any] | Any] = Field(default_factory=dict)
    queue: str


class RoutingConfig(BaseModel):
    """A versioned routing configuration."""

    model_config = ConfigDict(extra="forbid")

    version: str
    queues: list[Queue]
    reps: list[Rep]
    rules: list[Rule]

    @model_validator(mode="after")
    def _references_exist(self) -> RoutingConfig:
        names = {q.name for q in self.queues}
        for rule in self.rules:
            if rule.queue not in names:
                raise ValueError(f"rule {rule.name!r} names unknown queue {rule.queue!r}")
        for rep in self.reps:
            if rep.queue not in names:
                raise ValueError(f"rep {rep.id!r} is in unknown queue {rep.queue!r}")
        return self

    def queue(self, name: str) -> Queue:
        """Return a queue by name."""
        return next(q for q in self.queues if q.name == name)

    def reps_of(self, queue: str) -> list[Rep]:
        """Return the active reps of a queue, in configured order."""
        return [r for r in self.reps if r.queue == queue and r.active]
