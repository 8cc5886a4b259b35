"""The outbox relay: publishes committed outbox rows in order and marks them sent."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import structlog
from sqlalchemy import Table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from leadrelay.db.engine import SERVER_SETTINGS
from leadrelay.db.tables import OUTBOX_CHANNEL
from leadrelay.faults import fault_point
from leadrelay.kafka.producer import SafeProducer
from leadrelay.observability import metrics as m
from leadrelay.observability.logging import error_name
from leadrelay.service.stopping import sleep_or_stop

log = structlog.get_logger(__name__)

# One relay per database publishes at a time, so rows leave in id order (per-lead order holds): the one whose
# connection holds this session-level advisory lock. It is released when that connection closes or dies.
_RELAY_LOCK_KEY = 0x6C656164  # "lead"
# The backlog gauges cost a query; once a second is plenty for a gauge scraped every 15 s.
BACKLOG_OBSERVE_INTERVAL_S = 1.0


class OutboxRelay:
    """Publishes unsent outbox rows; wakes on NOTIFY, polls as a fallback."""

    def __init__(
        self,
        engine: AsyncEngine,
        outbox: Table,
        producer: SafeProducer,
        service: str,
        poll_interval_s: float = 1.0,
        batch_size: int = 500,
        min_pass_interval_s: float = 0.0,
    ) -> None:
        """min_pass_interval_s: after a pass that published, the next starts no sooner than this after it."""
        self._producer = producer
        self._service = service
        self._poll_interval_s = poll_interval_s
        self._min_pass_interval_s = min_pass_interval_s
        self._batch_size = batch_size
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self.listening = asyncio.Event()  # set while a LISTEN connection is up
        self.failures = 0  # publish passes that left rows unsent (broker or database down)
        self._backlog_observed_at = 0.0
        self._table = outbox.name
        url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._conn: asyncpg.Connection | None = None  # the relay's own connection, kept between passes
        self._leading = False
        self._select_unsent = (
            f"SELECT id, topic, key, value FROM {self._table} WHERE sent_at IS NULL ORDER BY id LIMIT $1"
        )
        self._mark_sent = f"UPDATE {self._table} SET sent_at = now() WHERE id = ANY($1::bigint[])"

    def stop(self) -> None:
        """Ask the relay to finish its current batch and exit."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Publish now instead of at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Publish until stopped; failures are logged and retried, never fatal."""
        listener = asyncio.create_task(self._listen(), name=f"{self._service}-outbox-listen")
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                # Cleared before the pass, so a NOTIFY that lands during it triggers another pass.
                self._wake.clear()
                try:
                    published = await self.publish_batch()
                except Exception as exc:  # broker or database down: retry after the poll interval
                    self.failures += 1
                    log.warning("outbox_publish_failed", service=self._service, error=error_name(exc))
                    published = 0
                if published >= self._batch_size:
                    continue
                remaining = started + self._min_pass_interval_s - time.monotonic()
                if published and remaining > 0:
                    # Rows committed meanwhile wait for the next pass, so a busy relay sends fewer, bigger
                    # batches: the embedded broker keeps each batch as an object and every fetch that finds new
                    # data lists all of its partition's objects (docs/benchmarks.md). After a quiet spell the
                    # interval has long passed, so a lone row waits for nothing; a stop ends the wait.
                    await sleep_or_stop(self._stopping, remaining)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval_s)
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
            await self.close()

    async def publish_batch(self) -> int:
        """Publish one batch of unsent rows in id order; return how many were marked sent."""
        try:
            conn = await self._leader_connection()
            return await self._publish(conn) if conn is not None else 0
        except Exception:
            await self.close()  # whatever failed, the next pass starts on a fresh connection
            raise

    async def close(self) -> None:
        """Close the relay's connection, giving up the lock."""
        conn, self._conn, self._leading = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)

    async def _leader_connection(self) -> asyncpg.Connection | None:
        """Return the relay's connection if it holds the lock (taking it if free), else None."""
        # A connection of its own, on the asyncpg driver: the relay runs once per committed batch in every
        # service, and a pool checkout, BEGIN, a transaction-scoped lock and COMMIT per pass cost more than
        # the two statements that do the work.
        if self._conn is None or self._conn.is_closed():
            self._conn, self._leading = (
                await asyncpg.connect(self._dsn, timeout=5, server_settings=SERVER_SETTINGS),
                False,
            )
        if not self._leading:
            self._leading = bool(
                await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", _RELAY_LOCK_KEY)
            )
        return self._conn if self._leading else None

    async def _publish(self, conn: asyncpg.Connection) -> int:
        # Autocommit statements: a row is marked sent only after the broker acknowledged it, so a crash in
        # between publishes it again (at least once); the lock keeps a second relay from interleaving.
        rows = await conn.fetch(self._select_unsent, self._batch_size)
        if time.monotonic() - self._backlog_observed_at >= BACKLOG_OBSERVE_INTERVAL_S:
            await self._observe_backlog(conn)
            self._backlog_observed_at = time.monotonic()
        if not rows:
            return 0
        await fault_point("after_commit_before_publish")
        sent_ids = await self._send_in_order(rows)
        if len(sent_ids) < len(rows):
            self.failures += 1
        await fault_point("after_publish_before_mark")
        if sent_ids:
            await conn.execute(self._mark_sent, sent_ids)
        m.OUTBOX_PUBLISHED.labels(self._service).inc(len(sent_ids))
        return len(sent_ids)

    async def _send_in_order(self, rows: Sequence[Any]) -> list[int]:
        """Send rows; return the ids of the longest fully delivered prefix (later rows are retried)."""
        futures = await self._producer.enqueue_batches(
            [(row["topic"], row["value"], row["key"]) for row in rows]
        )
        results = await asyncio.gather(*futures, return_exceptions=True)
        sent: list[int] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log.warning(
                    "outbox_send_failed", service=self._service, topic=row["topic"], error=error_name(result)
                )
                break
            sent.append(row["id"])
        return sent

    async def _observe_backlog(self, conn: asyncpg.Connection) -> None:
        row = await conn.fetchrow(
            f"SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0) "
            f"FROM {self._table} WHERE sent_at IS NULL"
        )
        m.OUTBOX_BACKLOG.labels(self._service).set(row[0])
        m.OUTBOX_OLDEST_AGE.labels(self._service).set(float(row[1]))

    async def _listen(self) -> None:
        """Hold a LISTEN connection, reconnecting after failures; each NOTIFY wakes the relay."""
        while not self._stopping.is_set():
            try:
                conn = await asyncpg.connect(self._dsn, timeout=5, server_settings=SERVER_SETTINGS)
                try:
                    closed = asyncio.Event()
                    conn.add_termination_listener(lambda *_, done=closed: done.set())
                    await conn.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
                    self._wake.set()  # rows may have been committed while we were not listening
                    self.listening.set()
                    await closed.wait()
                    self.listening.clear()
                finally:
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.debug("outbox_listen_retry", service=self._service, error=error_name(exc))
                await asyncio.sleep(1.0)
