"""Dead letters: listing them without personal data, and replaying them to the topic they came from."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from leadrelay.kafka.metadata import partitions_of
from leadrelay.settings import KafkaSettings

DLQ_SUFFIX = ".dlq"


@dataclass(frozen=True)
class DeadLetter:
    """One record of a `<topic>.dlq` topic: where it came from, why, and the event's ids (not its data)."""

    partition: int
    offset: int
    at: datetime
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def original_topic(self) -> str:
        return self.headers.get("original_topic", "")

    @property
    def event_id(self) -> str | None:
        envelope = self._envelope()
        value = envelope.get("id") if envelope else None
        return value if isinstance(value, str) else None

    def summary(self) -> dict[str, object]:
        """What `leadrelay dlq list` shows: ids, types, origin and reason, never the event's data."""
        envelope = self._envelope() or {}
        return {
            "dlq_partition": self.partition,
            "dlq_offset": self.offset,
            "dead_lettered_at": self.at.isoformat(),
            "original_topic": self.original_topic,
            "original_partition": self.headers.get("original_partition"),
            "original_offset": self.headers.get("original_offset"),
            "service": self.headers.get("service"),
            "attempts": self.headers.get("attempts"),
            "error": self.headers.get("error"),
            "event_id": envelope.get("id"),
            "event_type": envelope.get("type"),
            "lead_id": envelope.get("subject"),
        }

    def _envelope(self) -> dict[str, object] | None:
        try:
            body = json.loads(self.value)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None


def dlq_topic(topic: str) -> str:
    """Return the dead-letter topic of a topic (given either name)."""
    return topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX


async def read_dead_letters(kafka: KafkaSettings, topic: str, timeout_s: float = 30.0) -> list[DeadLetter]:
    """Return every record of a topic's DLQ, from the oldest to the latest at the time of the call."""
    name = dlq_topic(topic)
    consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=None, enable_auto_commit=False)
    await asyncio.wait_for(consumer.start(), timeout_s)
    try:
        assigned = await partitions_of(consumer, name)
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        letters: list[DeadLetter] = []
        remaining = {tp for tp in assigned if ends[tp] > await consumer.position(tp)}
        deadline = asyncio.get_running_loop().time() + timeout_s
        while remaining and asyncio.get_running_loop().time() < deadline:
            for tp, records in (await consumer.getmany(*remaining, timeout_ms=500)).items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    letters.append(
                        DeadLetter(
                            record.partition,
                            record.offset,
                            datetime.fromtimestamp(record.timestamp / 1000, UTC),
                            record.key,
                            record.value or b"",
                            {k: v.decode(errors="replace") for k, v in record.headers},
                        )
                    )
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        return sorted(letters, key=lambda d: (d.at, d.partition, d.offset))
    finally:
        await consumer.stop()


def selected(
    letters: Iterable[DeadLetter], since: datetime | None = None, event_id: str | None = None
) -> list[DeadLetter]:
    """Return the dead letters dead-lettered at or after since, and (when given) of one event id."""
    return [
        d
        for d in letters
        if (since is None or d.at >= since) and (event_id is None or d.event_id == event_id)
    ]


async def replay(
    kafka: KafkaSettings,
    letters: Iterable[DeadLetter],
    fallback_topic: str,
    on_sent: Callable[[DeadLetter], None] = lambda _: None,
) -> int:
    """Publish dead letters again to their original topic (the consumers' inbox makes it idempotent)."""
    producer = AIOKafkaProducer(
        **kafka.client_options(), acks="all", enable_idempotence=kafka.enable_idempotence
    )
    await producer.start()
    count = 0
    try:
        for letter in letters:
            topic = letter.original_topic or fallback_topic
            headers = [("replayed_from", f"{dlq_topic(topic)}:{letter.partition}:{letter.offset}".encode())]
            await producer.send_and_wait(topic, letter.value, key=letter.key, headers=headers)
            on_sent(letter)
            count += 1
    finally:
        await producer.stop()
    return count
