"""Topics on a cluster: read their shape, plan and apply the declared one (create, add partitions, alter
configs; never delete)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import IncompatibleBrokerVersion, TopicAlreadyExistsError

from leadrelay.kafka.topology import Change, TopicShape, differences, is_handoff_topic, shape_of
from leadrelay.settings import KafkaSettings

log = structlog.get_logger(__name__)
UNKNOWN_TOPIC = 3
DYNAMIC_TOPIC_CONFIG = 1  # a config's source: set on the topic itself (not a broker default)


class TopicsMisshapen(Exception):
    """Topics a service needs are missing or shaped otherwise than declared."""

    def __init__(self, changes: list[Change]) -> None:
        self.changes = changes
        listed = "; ".join(str(c) for c in changes)
        super().__init__(
            f"{len(changes)} difference(s) between the declared topics and the cluster: {listed}. "
            "Run `leadrelay topics plan` to see them and `leadrelay topics apply` to make them "
            "(or LEADRELAY_KAFKA_CREATE_TOPICS=true in development)"
        )


@contextlib.asynccontextmanager
async def admin_client(kafka: KafkaSettings, timeout_s: float = 15.0) -> AsyncIterator[AIOKafkaAdminClient]:
    """An admin client with the process's connection settings, closed on exit."""
    admin = AIOKafkaAdminClient(**kafka.client_options(), request_timeout_ms=10000)
    await asyncio.wait_for(admin.start(), timeout_s)
    try:
        yield admin
    finally:
        await admin.close()


async def observe(admin: AIOKafkaAdminClient, names: Iterable[str]) -> dict[str, TopicShape]:
    """Return the shape of each named topic the cluster has (missing ones are left out)."""
    # Only topics that exist are described: asking a broker that creates topics on first use about a missing
    # one would create it, with the broker's defaults.
    existing = set(await admin.list_topics())
    wanted = [n for n in dict.fromkeys(names) if n in existing]
    if not wanted:
        return {}
    described = [t for t in await admin.describe_topics(wanted) if t["error_code"] != UNKNOWN_TOPIC]
    if not described:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, t["topic"]) for t in described]
    configs: dict[str, dict[str, str]] = {}
    for response in await admin.describe_configs(resources):
        for _, _, _, name, entries in response.resources:
            configs[name] = {entry[0]: entry[1] for entry in entries}
    return {
        t["topic"]: TopicShape(
            t["topic"],
            len(t["partitions"]),
            max((len(p["replicas"]) for p in t["partitions"]), default=0),
            configs.get(t["topic"], {}),
        )
        for t in described
    }


async def topics_on_cluster(admin: AIOKafkaAdminClient) -> list[str]:
    """Return the names of every topic on the cluster."""
    return list(await admin.list_topics())


async def plan(kafka: KafkaSettings, declared: list[TopicShape]) -> list[Change]:
    """Return the differences between the declaration and the cluster; existing handoff topics are checked too."""
    async with admin_client(kafka) as admin:
        return await _plan(admin, kafka, declared)


async def _plan(admin: AIOKafkaAdminClient, kafka: KafkaSettings, declared: list[TopicShape]) -> list[Change]:
    named = {t.name for t in declared}
    handoffs = [shape_of(kafka, n) for n in await topics_on_cluster(admin) if is_handoff_topic(kafka, n)]
    wanted = declared + [t for t in handoffs if t.name not in named]
    return differences(wanted, await observe(admin, [t.name for t in wanted]))


async def apply(kafka: KafkaSettings, declared: list[TopicShape]) -> list[Change]:
    """Make the fixable differences (create, add partitions, alter configs); return every difference found."""
    async with admin_client(kafka) as admin:
        changes = await _plan(admin, kafka, declared)
        await _make(admin, kafka, declared, changes)
        return changes


async def _make(
    admin: AIOKafkaAdminClient, kafka: KafkaSettings, declared: list[TopicShape], changes: list[Change]
) -> None:
    shapes = {t.name: t for t in declared}

    def shape(name: str) -> TopicShape:
        return shapes.get(name) or shape_of(kafka, name)

    create = [shape(c.topic) for c in changes if c.action == "create"]
    if create:
        with contextlib.suppress(TopicAlreadyExistsError):  # another process made them first
            await admin.create_topics(
                [
                    NewTopic(t.name, t.partitions, t.replication_factor, topic_configs=dict(t.configs))
                    for t in create
                ]
            )
    grow = {
        c.topic: NewPartitions(shape(c.topic).partitions) for c in changes if c.action == "add partitions"
    }
    if grow:
        await admin.create_partitions(grow)
    altered = sorted({c.topic for c in changes if c.action == "alter config"})
    if altered:
        try:
            await admin.alter_configs([await _whole_config(admin, shape(name)) for name in altered])
        except IncompatibleBrokerVersion:
            # the embedded Tansu broker cannot alter configs (its topics live in memory, for a development run)
            log.warning("topic_configs_not_altered", topics=len(altered), reason="unsupported by the broker")
            return
    if create or grow or altered:
        await _until_visible(admin, [shape(c.topic) for c in changes if c.fixable])


async def _until_visible(
    admin: AIOKafkaAdminClient, made: list[TopicShape], deadline_s: float = 30.0
) -> None:
    """Wait until the cluster describes the topics as made: a change reaches the brokers' metadata a moment after
    it is accepted, and whatever reads the topics next (a plan, a service) must see it."""
    loop = asyncio.get_running_loop()
    until = loop.time() + deadline_s
    while [c for c in differences(made, await observe(admin, [t.name for t in made])) if c.fixable]:
        if loop.time() > until:
            log.warning("topic_changes_not_visible", topics=len(made), waited_s=deadline_s)
            return
        await asyncio.sleep(0.2)


async def _whole_config(admin: AIOKafkaAdminClient, want: TopicShape) -> ConfigResource:
    """The topic's config to set: AlterConfigs replaces every setting of the topic, so the ones set on it that the
    declaration does not name are kept."""
    described = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, want.name)])
    kept: dict[str, str] = {}
    for response in described:
        for _, _, _, _, entries in response.resources:
            kept |= {e[0]: e[1] for e in entries if e[3] == DYNAMIC_TOPIC_CONFIG and e[1] is not None}
    return ConfigResource(ConfigResourceType.TOPIC, want.name, configs=kept | dict(want.configs))


async def ensure_topics(kafka: KafkaSettings, names: Iterable[str], partitions: int | None = None) -> None:
    """Give the named topics their declared shape (partitions overrides the declared count): for development
    and tests, where nobody applied the declaration."""
    declared = [shape_of(kafka, n, partitions) for n in dict.fromkeys(names)]
    async with admin_client(kafka) as admin:
        changes = differences(declared, await observe(admin, [t.name for t in declared]))
        await _make(admin, kafka, declared, [c for c in changes if c.fixable])


async def verify_topics(kafka: KafkaSettings, names: Iterable[str]) -> None:
    """Raise TopicsMisshapen unless every named topic exists with its declared shape."""
    declared = [shape_of(kafka, n) for n in dict.fromkeys(names)]
    async with admin_client(kafka) as admin:
        changes = differences(declared, await observe(admin, [t.name for t in declared]))
    if changes:
        raise TopicsMisshapen(changes)
