"""Every topic's declared shape (partitions, replicas, configs) and the difference from what a cluster has."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from leadrelay.events.topics import COMPACTED, DLQ_SUFFIX, HANDOFF_PREFIX
from leadrelay.settings import KafkaSettings


@dataclass(frozen=True)
class TopicShape:
    """A topic as declared, or as a cluster has it."""

    name: str
    partitions: int
    replication_factor: int
    configs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One difference between the declaration and the cluster; fixable ones are what `apply` makes."""

    topic: str
    action: str  # create | add partitions | alter config | cannot fix
    detail: str

    @property
    def fixable(self) -> bool:
        return self.action != "cannot fix"

    def __str__(self) -> str:
        return f"{self.action:<14} {self.topic}: {self.detail}"


def shape_of(kafka: KafkaSettings, name: str, partitions: int | None = None) -> TopicShape:
    """Return the declared shape of any Leadrelay topic, by its kind (events, state, dead letters)."""
    logical = name.removeprefix(kafka.topic_prefix)
    configs = {"min.insync.replicas": str(kafka.min_insync_replicas)}
    if logical.endswith(DLQ_SUFFIX):
        # Dead letters hold whole events (personal data included): kept long enough to replay, no longer.
        configs |= {"cleanup.policy": "delete", "retention.ms": str(kafka.dlq_retention_ms)}
    elif logical in COMPACTED:
        configs |= {"cleanup.policy": "compact"}  # the latest record per key is the state: never aged out
    else:
        configs |= {"cleanup.policy": "delete", "retention.ms": str(kafka.retention_ms)}
    return TopicShape(name, partitions or kafka.partitions, kafka.replication_factor, configs)


def declared_topics(kafka: KafkaSettings, handoff_queues: Iterable[str] = ()) -> list[TopicShape]:
    """Return every topic of the pipeline with its dead letters, and the handoff topics of the given queues."""
    names = kafka.topics.all_with_dlq() + [kafka.topics.handoff(q) for q in dict.fromkeys(handoff_queues)]
    return [shape_of(kafka, n) for n in names]


def is_handoff_topic(kafka: KafkaSettings, name: str) -> bool:
    """True for a queue's handoff topic (queues come and go with routing's configuration)."""
    return name.startswith(kafka.topics.name(HANDOFF_PREFIX)) and not name.endswith(DLQ_SUFFIX)


def differences(declared: Iterable[TopicShape], actual: Mapping[str, TopicShape]) -> list[Change]:
    """Return what the cluster lacks or has otherwise than declared; nothing is ever deleted."""
    changes: list[Change] = []
    for want in declared:
        have = actual.get(want.name)
        if have is None:
            configs = ", ".join(f"{k}={v}" for k, v in sorted(want.configs.items()))
            detail = f"{want.partitions} partitions, replication factor {want.replication_factor}, {configs}"
            changes.append(Change(want.name, "create", detail))
            continue
        if have.partitions < want.partitions:
            changes.append(Change(want.name, "add partitions", f"{have.partitions} -> {want.partitions}"))
        elif have.partitions > want.partitions:
            detail = f"has {have.partitions} partitions, declared {want.partitions} (Kafka cannot remove partitions)"
            changes.append(Change(want.name, "cannot fix", detail))
        if have.replication_factor != want.replication_factor:
            detail = (
                f"replication factor {have.replication_factor}, declared {want.replication_factor} "
                "(a partition reassignment, kafka-reassign-partitions, changes it)"
            )
            changes.append(Change(want.name, "cannot fix", detail))
        for key, value in sorted(want.configs.items()):
            if have.configs.get(key) != value:
                changes.append(Change(want.name, "alter config", f"{key} {have.configs.get(key)} -> {value}"))
    return changes
