"""Which topics each service writes and reads: the one declaration its ACLs and its start-time topic check
come from."""

from __future__ import annotations

from dataclasses import dataclass

from leadrelay.events import topics as t
from leadrelay.events.registry import EVENT_TYPES
from leadrelay.events.topics import Topics


@dataclass(frozen=True)
class ServiceTopics:
    """A service's logical topics: those it writes (its outbox), those it reads (its consumers, whose dead
    letters it writes too), and topic-name prefixes it writes (routing's queues come and go)."""

    writes: tuple[str, ...]
    reads: tuple[str, ...] = ()
    writes_prefixed: tuple[str, ...] = ()

    def names(self, topics: Topics) -> list[str]:
        """Return the broker topics the service needs, dead letters of what it reads included."""
        read = [topics.name(r) for r in self.reads]
        return [*(topics.name(w) for w in self.writes), *read, *(topics.dlq(r) for r in read)]


SERVICES: dict[str, ServiceTopics] = {
    "capture": ServiceTopics(writes=(t.CAPTURED, t.ACTIVITY, t.CONSENT, t.ERASED)),
    "scoring": ServiceTopics(
        writes=(t.SCORED,), reads=(t.CAPTURED, t.ACTIVITY, t.OUTCOMES, t.REJECTED, t.ERASED, t.CONSENT)
    ),
    "routing": ServiceTopics(
        writes=(t.QUALIFIED, t.REJECTED),
        reads=(t.SCORED, t.SLA_BREACHED, t.CONTACTED, t.OUTCOMES, t.ERASED, t.CONSENT, t.SLA_POLICIES),
        writes_prefixed=(t.HANDOFF_PREFIX,),
    ),
    "sla-monitor": ServiceTopics(
        writes=(t.AT_RISK, t.SLA_BREACHED, t.CONTACTED, t.SLA_POLICIES),
        reads=(t.QUALIFIED, t.CONTACTED, t.REJECTED, t.ERASED),
    ),
    "metrics": ServiceTopics(writes=(), reads=tuple(sorted({spec.topic for spec in EVENT_TYPES.values()}))),
    "delivery": ServiceTopics(
        writes=(t.OUTCOMES,), reads=(t.QUALIFIED, t.AT_RISK, t.SLA_BREACHED, t.REJECTED, t.ERASED)
    ),
}


def consumer_group_prefix(topics: Topics, service: str) -> str:
    """Every consumer group of a service starts with this (the runtime adds suffixes such as -background)."""
    return f"{topics.prefix}leadrelay-{service}"
