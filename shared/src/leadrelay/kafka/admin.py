"""Topic creation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from leadrelay.events.topics import COMPACTED

DLQ_RETENTION_MS = 14 * 24 * 3600 * 1000


async def ensure_topics(
    bootstrap_servers: str,
    names: Iterable[str],
    partitions: int = 3,
    dlq_retention_ms: int = DLQ_RETENTION_MS,
) -> None:
    """Create the topics that do not exist yet (idempotent); dead-letter topics keep records only so long."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=10000)
    await asyncio.wait_for(admin.start(), 15)
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(n, partitions, 1, topic_configs=_topic_configs(n, dlq_retention_ms))
            for n in dict.fromkeys(names)
            if n not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing)
    finally:
        await admin.close()


def _topic_configs(name: str, dlq_retention_ms: int) -> dict[str, str] | None:
    if name.endswith(".dlq"):
        # Dead letters hold whole events (personal data included): kept long enough to replay, no longer.
        return {"retention.ms": str(dlq_retention_ms)}
    if name.endswith(COMPACTED):
        return {"cleanup.policy": "compact"}  # the latest record per key is the state: never aged out
    return None
