"""A producer with safe settings and timeouts around everything that can hang."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

from leadrelay.settings import KafkaSettings

log = structlog.get_logger(__name__)


class ProducerUnavailable(Exception):
    """The broker could not be reached in time."""


# (topic, value, key) of one record.
Record = tuple[str, bytes, str | bytes | None]


class SafeProducer:
    """Wraps AIOKafkaProducer: acks=all, bounded waits, and a lazy (re)start when the broker returns."""

    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    def _build(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **self._settings.client_options(),
            client_id=self._client_id,
            acks="all",
            enable_idempotence=self._settings.enable_idempotence,
            request_timeout_ms=int(self._settings.request_timeout_s * 1000),
            linger_ms=2,
            max_batch_size=self._settings.producer_max_batch_bytes,
            # Retries inside aiokafka keep per-partition order: one in-flight batch per partition.
            retry_backoff_ms=200,
        )

    async def ensure_started(self) -> AIOKafkaProducer:
        """Start the underlying producer if needed, or raise ProducerUnavailable."""
        async with self._lock:
            if self._producer is not None:
                return self._producer
            producer = self._build()
            try:
                await asyncio.wait_for(producer.start(), self._settings.send_timeout_s)
            except Exception as exc:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(producer.stop(), 5)
                raise ProducerUnavailable(f"broker unreachable: {exc!r}") from exc
            self._producer = producer
            return producer

    async def enqueue(
        self, topic: str, value: bytes, key: str | bytes | None, headers: Any = None
    ) -> asyncio.Future:
        """Hand a record to the producer and return the future of its delivery."""
        producer = await self.ensure_started()
        try:
            # asyncio.timeout, not wait_for: wait_for wraps every send in a task of its own, and the relay
            # enqueues every outbox row through here.
            async with asyncio.timeout(self._settings.send_timeout_s):
                return await producer.send(
                    topic, value, key=key.encode() if isinstance(key, str) else key, headers=headers
                )
        except Exception:
            await self.reset()
            raise

    async def enqueue_batches(self, records: Sequence[Record]) -> list[asyncio.Future[Any]]:
        """Hand records to the producer in one batch per partition; return each record's delivery future.

        Records keep their order within a partition, and land on the partition their key hashes to, as with
        enqueue. If enqueueing fails, the records of every batch not yet handed over get a failed future.
        """
        producer = await self.ensure_started()
        # One batch (and one future) per partition instead of one future and accumulator pass per record:
        # every service's outbox relay hands over a committed batch of rows at a time.
        batches: list[tuple[str, int, Any]] = []
        open_batch: dict[tuple[str, int], int] = {}
        partitions: dict[str, list[int]] = {}
        slots: list[int] = []
        delivered: list[asyncio.Future[Any]] = []
        try:
            async with asyncio.timeout(self._settings.send_timeout_s):
                for topic, value, key in records:
                    raw_key = key.encode() if isinstance(key, str) else key
                    if topic not in partitions:
                        partitions[topic] = sorted(await producer.partitions_for(topic))
                    partition = _partition_of(raw_key, partitions[topic])
                    index = open_batch.get((topic, partition))
                    if (
                        index is None
                        or batches[index][2].append(key=raw_key, value=value, timestamp=None) is None
                    ):
                        # No open batch for this partition, or it is full: a new batch always takes its first record.
                        batch = producer.create_batch()
                        batch.append(key=raw_key, value=value, timestamp=None)
                        index = open_batch[(topic, partition)] = len(batches)
                        batches.append((topic, partition, batch))
                    slots.append(index)
                for topic, partition, batch in batches:
                    delivered.append(await producer.send_batch(batch, topic, partition=partition))
        except Exception as exc:
            await self.reset()
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(exc)
            handed_over = [delivered[index] if index < len(delivered) else failed for index in slots]
            return handed_over + [failed] * (len(records) - len(slots))
        return [delivered[index] for index in slots]

    async def send(
        self, topic: str, value: bytes, key: str | bytes | None = None, headers: Any = None
    ) -> Any:
        """Send one record and wait (bounded) until the broker acknowledged it."""
        future = await self.enqueue(topic, value, key, headers)
        try:
            return await asyncio.wait_for(future, self._settings.send_timeout_s)
        except Exception:
            await self.reset()
            raise

    async def reset(self) -> None:
        """Drop the current producer so the next send reconnects."""
        async with self._lock:
            producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(producer.stop(), 5)

    async def stop(self) -> None:
        """Flush and stop, bounded in time (a producer can hang while the broker is down)."""
        await self.reset()


_PARTITIONER = DefaultPartitioner()


def _partition_of(key: bytes | None, partitions: list[int]) -> int:
    """Return the partition aiokafka's default partitioner picks: the key's murmur2 hash, else any."""
    if key is None:
        return random.choice(partitions)
    return int(_PARTITIONER(key, partitions, partitions))
