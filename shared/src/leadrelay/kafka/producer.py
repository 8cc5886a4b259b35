"""A producer with safe settings and timeouts around everything that can hang."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer

from leadrelay.settings import KafkaSettings

log = structlog.get_logger(__name__)


class ProducerUnavailable(Exception):
    """The broker could not be reached in time."""


class SafeProducer:
    """Wraps AIOKafkaProducer: acks=all, bounded waits, and a lazy (re)start when the broker returns."""

    def __init__(self, settings: KafkaSettings, client_id: str) -> None:
        self._settings = settings
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._lock = asyncio.Lock()

    def _build(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            bootstrap_servers=self._settings.bootstrap_servers,
            client_id=self._client_id,
            acks="all",
            enable_idempotence=self._settings.enable_idempotence,
            request_timeout_ms=int(self._settings.request_timeout_s * 1000),
            linger_ms=2,
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
