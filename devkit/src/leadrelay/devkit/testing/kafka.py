"""Reading and writing topics in tests with plain aiokafka clients."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from leadrelay.events import Envelope, encode
from leadrelay.events.registry import EVENT_TYPES
from leadrelay.settings import KafkaSettings


@dataclass
class Received:
    """One message read from a topic."""

    key: str | None
    value: bytes
    headers: dict[str, str]
    partition: int = 0

    def json(self) -> Any:
        """Return the value parsed as JSON."""
        return json.loads(self.value)


class TopicReader:
    """Reads a topic from the beginning, remembering everything seen so far."""

    def __init__(self, bootstrap_servers: str, topic: str, **client_options: Any) -> None:
        """client_options: how to sign in, for a secured broker (KafkaSettings.client_options())."""
        self._consumer = AIOKafkaConsumer(
            topic,
            **({"bootstrap_servers": bootstrap_servers} | client_options),
            group_id=None,
            auto_offset_reset="earliest",
            # On a topic of several partitions the embedded broker looks for new data only on its own schedule
            # within a fetch's wait, so a short wait keeps a test's reads prompt.
            fetch_max_wait_ms=50,
        )
        self.topic = topic
        self.messages: list[Received] = []

    async def __aenter__(self) -> TopicReader:
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def poll(self, timeout_ms: int = 200) -> list[Received]:
        """Fetch what arrived since the last poll and return everything seen."""
        batches = await self._consumer.getmany(timeout_ms=timeout_ms)
        for records in batches.values():
            for r in records:
                self.messages.append(
                    Received(
                        key=r.key.decode() if r.key else None,
                        value=r.value or b"",
                        headers={k: v.decode(errors="replace") for k, v in (r.headers or ())},
                        partition=r.partition,
                    )
                )
        return self.messages

    async def wait_for(self, count: int, timeout_s: float = 20.0) -> list[Received]:
        """Return once at least `count` messages were seen, or fail at the deadline."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if len(await self.poll()) >= count:
                return self.messages
        raise AssertionError(f"{self.topic}: saw {len(self.messages)} messages, expected {count}")

    async def settle(self, quiet_s: float = 1.0) -> list[Received]:
        """Keep reading until nothing new arrives for quiet_s; return everything seen."""
        last = -1
        while last != len(self.messages):
            last = len(self.messages)
            await self.poll(timeout_ms=int(quiet_s * 1000))
        return self.messages


async def produce(bootstrap_servers: str, topic: str, value: bytes, key: str | None = None) -> None:
    """Put one raw message on a topic."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key.encode() if key else None)
    finally:
        await producer.stop()


async def publish(kafka: KafkaSettings, *events: Envelope) -> None:
    """Put events on the topics their types belong to, keyed by lead, as the services that own them would."""
    for event in events:
        topic = kafka.topics.name(EVENT_TYPES[event.type].topic)
        await produce(kafka.bootstrap_servers, topic, encode(event), key=event.data.lead_id)  # type: ignore[attr-defined]
