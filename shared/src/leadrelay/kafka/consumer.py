"""The consumer runner: decode, dispatch, retry, dead-letter, commit after the handler's commit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError

from leadrelay.events import DecodeError, Envelope, Topics, decode
from leadrelay.faults import fault_point
from leadrelay.kafka.errors import is_transient
from leadrelay.kafka.producer import SafeProducer
from leadrelay.observability import metrics as m
from leadrelay.observability.logging import error_name
from leadrelay.service.stopping import sleep_or_stop
from leadrelay.settings import KafkaSettings

log = structlog.get_logger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]
BatchHandler = Callable[[list[Envelope]], Awaitable[None]]
# A batch handler gets at most this many consecutive events of its type in one call (one transaction).
MAX_BATCH = 100


def fetch_options(settings: KafkaSettings, *, background: bool) -> dict[str, int]:
    """Return how long a fetch may wait and for how many bytes: briefly on the handoff path, longer off it."""
    if background:
        return {
            "fetch_max_wait_ms": settings.background_fetch_max_wait_ms,
            "fetch_min_bytes": settings.background_fetch_min_bytes,
        }
    return {"fetch_max_wait_ms": settings.fetch_max_wait_ms, "fetch_min_bytes": settings.fetch_min_bytes}


class ConsumerStalled(Exception):
    """Lag grew while nothing was consumed for longer than the stall timeout."""


class AssignmentGauge(ConsumerRebalanceListener):  # type: ignore[misc]
    """Show how many partitions of each topic the group gave this process, so replicas can be seen sharing work."""

    def __init__(self, service: str, topics: Sequence[str]) -> None:
        self._service = service
        self._topics = list(topics)

    def clear(self) -> None:
        """Show no partitions: the consumer is rebalancing or stopped."""
        for topic in self._topics:
            m.CONSUMER_ASSIGNED_PARTITIONS.labels(self._service, topic).set(0)

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        """Called before a rebalance: every partition may move."""
        self.clear()

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        """Called with the whole new assignment once the rebalance is done."""
        m.CONSUMER_REBALANCES.labels(self._service).inc()
        counts = {topic: 0 for topic in self._topics}
        for tp in assigned:
            counts[tp.topic] = counts.get(tp.topic, 0) + 1
        for topic, count in counts.items():
            m.CONSUMER_ASSIGNED_PARTITIONS.labels(self._service, topic).set(count)


class ConsumerRunner:
    """Runs one consumer group over some topics until stopped, restarting itself after failures.

    Guarantees: a message's offset is committed only after its handler returned (the handler commits
    its own DB transaction, deduping through the inbox); a message that cannot be decoded, has no
    handler, or fails `max_attempts` times goes to `<topic>.dlq` and the partition moves on; transient
    infrastructure errors (by the exception's cause chain) restart the consumer from the last committed offset,
    with a backoff that doubles up to max_restart_backoff_s, and a record that failed transiently
    `max_transient_restarts` times is dead-lettered too, so one event can never block its partition forever.

    Event types with a batch handler are handed over in runs of consecutive records of one partition, and the
    runs of a fetch's partitions (and topics) that share a batch handler go to it together (one transaction for
    many events); a batch that fails is handled again one event at a time by the single handler, so retries
    and the DLQ treat each event on its own. A fetch's offsets are committed together after its last record.
    """

    def __init__(
        self,
        *,
        settings: KafkaSettings,
        service: str,
        group_id: str,
        handlers: Mapping[str, Handler],
        topics: Sequence[str],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        producer: SafeProducer,
        max_attempts: int = 3,
        retry_backoff_s: float = 0.2,
        handler_timeout_s: float = 30.0,
        stall_timeout_s: float = 30.0,
        restart_backoff_s: float = 1.0,
        max_restart_backoff_s: float = 30.0,
        max_transient_restarts: int = 20,
        background: bool = False,
        group_instance_id: str | None = None,
        lag_interval_s: float = 5.0,
    ) -> None:
        """background: the group is off the capture-to-handoff path, so it fetches less often, in bigger batches;
        group_instance_id: join as a static member, so a restart within the session timeout moves no partition;
        lag_interval_s: how often the lag gauge is read from the broker (and a stall looked for)."""
        self._settings = settings
        self._service = service
        self._group_id = group_id
        self._handlers = dict(handlers)
        self._batch_handlers = dict(batch_handlers or {})
        self._topics = list(topics)
        self._producer = producer
        self._max_attempts = max_attempts
        self._retry_backoff_s = retry_backoff_s
        self._handler_timeout_s = handler_timeout_s
        self._stall_timeout_s = stall_timeout_s
        self._restart_backoff_s = restart_backoff_s
        self._max_restart_backoff_s = max_restart_backoff_s
        self._max_transient_restarts = max_transient_restarts
        self._consecutive_restarts = 0
        # (topic, partition, offset) -> transient failures, kept across restarts of this consumer.
        self._transient_failures: dict[tuple[str, int, int], int] = {}
        self._background = background
        self._group_instance_id = group_instance_id
        self._lag_interval_s = lag_interval_s
        self._stopping = asyncio.Event()
        self._last_progress = time.monotonic()
        self.restarts = 0
        self._handled: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self.running = False

    @property
    def topics(self) -> list[str]:
        return list(self._topics)

    @property
    def group_id(self) -> str:
        return self._group_id

    @property
    def background(self) -> bool:
        return self._background

    @property
    def assigned(self) -> bool:
        """Whether the group gave this consumer partitions to read."""
        return self._consumer is not None and bool(self._consumer.assignment())

    def stop(self) -> None:
        """Finish the message in hand, commit, and exit."""
        self._stopping.set()

    async def run(self) -> None:
        """Consume until stopped; any failure restarts the consumer after a short backoff."""
        while not self._stopping.is_set():
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.restarts += 1
                self._consecutive_restarts += 1
                m.CONSUMER_RESTARTS.labels(self._service, type(exc).__name__).inc()
                backoff = min(
                    self._max_restart_backoff_s,
                    self._restart_backoff_s * 2 ** (self._consecutive_restarts - 1),
                )
                log.warning(
                    "consumer_restart", service=self._service, error=error_name(exc), backoff_s=backoff
                )
                await sleep_or_stop(self._stopping, backoff)
        self.running = False

    async def _run_once(self) -> None:
        consumer = AIOKafkaConsumer(
            **self._settings.client_options(),
            group_id=self._group_id,
            group_instance_id=self._group_instance_id,
            client_id=f"{self._service}-consumer",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            request_timeout_ms=int(self._settings.request_timeout_s * 1000) + 30000,
            max_poll_records=200,
            **fetch_options(self._settings, background=self._background),
            session_timeout_ms=self._settings.session_timeout_ms,
            heartbeat_interval_ms=self._settings.heartbeat_interval_ms,
        )
        assignment = AssignmentGauge(self._service, self._topics)
        consumer.subscribe(self._topics, listener=assignment)
        await asyncio.wait_for(consumer.start(), 30)
        self._consumer = consumer
        self.running = True
        self._handled.clear()
        self._last_progress = time.monotonic()
        consume = asyncio.create_task(self._consume(consumer))
        watch = asyncio.create_task(self._watch(consumer))
        try:
            done, _ = await asyncio.wait({consume, watch}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            self.running = False
            self._consumer = None
            assignment.clear()
            for task in (consume, watch):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), 10)

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping.is_set():
            batches = await consumer.getmany(timeout_ms=500, max_records=200)
            if not batches:
                self._last_progress = time.monotonic()
                continue
            await self._consume_fetch(consumer, batches)

    async def _consume_fetch(
        self, consumer: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        """Handle one fetch's records, every partition in order, then commit all their offsets at once.

        The fetch is handled in rounds: each round takes the next run of every partition and merges the runs
        that share a batch handler into one call (one transaction), so a fetch over many partitions and topics
        costs one transaction per handler instead of one per partition. Keys never span partitions, so each
        lead's events keep their order.
        """
        pending = {tp: self._runs(records) for tp, records in batches.items()}
        while pending:
            heads = {tp: runs.pop(0) for tp, runs in pending.items()}
            merged: dict[BatchHandler, tuple[list[ConsumerRecord], list[Envelope]]] = {}
            for run, events in heads.values():
                if events is None:
                    await self._process(run[0])
                    continue
                records, grouped = merged.setdefault(self._batch_handlers[events[0].type], ([], []))
                records.extend(run)
                grouped.extend(events)
            for handler, (records, events) in merged.items():
                await self._process_batch(handler, records, events)
            for tp, (run, _) in heads.items():
                self._handled[tp] = run[-1].offset + 1
            self._last_progress = time.monotonic()
            self._consecutive_restarts = 0
            pending = {tp: runs for tp, runs in pending.items() if runs}
        await fault_point("after_handle_before_commit")
        try:
            await consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
        except CommitFailedError as exc:
            # Partitions moved to another member during a rebalance; they redeliver, the inbox dedupes.
            log.info("commit_after_rebalance_failed", service=self._service, error=error_name(exc))

    async def _watch(self, consumer: AIOKafkaConsumer) -> None:
        """Keep the lag gauge current; raise ConsumerStalled when there is lag but no progress for stall_timeout_s."""
        interval = min(self._lag_interval_s, max(0.5, self._stall_timeout_s / 3))
        while not self._stopping.is_set():
            if await sleep_or_stop(self._stopping, interval):
                return
            assigned = list(consumer.assignment())
            if not assigned:
                continue
            try:
                ends = await asyncio.wait_for(consumer.end_offsets(assigned), 10)
                positions = await asyncio.wait_for(self._handled_positions(consumer, assigned), 10)
            except Exception as exc:
                log.info("lag_check_failed", service=self._service, error=error_name(exc))
                continue
            lag = self._record_lag(ends, positions)
            idle = time.monotonic() - self._last_progress
            if lag > 0 and idle > self._stall_timeout_s:
                raise ConsumerStalled(f"lag {lag} with no progress for {idle:.0f}s")

    async def _handled_positions(
        self, consumer: AIOKafkaConsumer, assigned: list[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """Return the next offset to handle per partition (fetched-but-unhandled records count as lag)."""
        positions: dict[TopicPartition, int] = {}
        beginnings: dict[TopicPartition, int] | None = None
        for tp in assigned:
            handled = self._handled.get(tp)
            committed = await consumer.committed(tp)
            if handled is None and committed is None:
                beginnings = beginnings or await consumer.beginning_offsets(assigned)
                committed = beginnings[tp]
            positions[tp] = max(handled or 0, committed or 0)
        return positions

    def _record_lag(self, ends: Mapping[TopicPartition, int], positions: Mapping[TopicPartition, int]) -> int:
        per_topic: dict[str, int] = {}
        for tp, end in ends.items():
            per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, end - positions.get(tp, end))
        for topic, lag in per_topic.items():
            m.CONSUMER_LAG.labels(self._service, topic).set(lag)
        return sum(per_topic.values())

    def _runs(
        self, records: list[ConsumerRecord]
    ) -> list[tuple[list[ConsumerRecord], list[Envelope] | None]]:
        """Split records into runs for one batch handler each, and single records (events None)."""
        runs: list[tuple[list[ConsumerRecord], list[Envelope] | None]] = []
        batch: list[ConsumerRecord] = []
        events: list[Envelope] = []
        for record in records:
            try:
                event = decode(record.value) if self._batch_handlers else None
            except DecodeError:
                event = None
            if event is None or event.type not in self._batch_handlers:
                if batch:
                    runs.append((batch, events))
                    batch, events = [], []
                runs.append(([record], None))
                continue
            if batch and (
                self._batch_handlers[events[0].type] is not self._batch_handlers[event.type]
                or len(batch) >= MAX_BATCH
            ):
                runs.append((batch, events))
                batch, events = [], []
            batch.append(record)
            events.append(event)
        if batch:
            runs.append((batch, events))
        return runs

    async def _process_batch(
        self, handler: BatchHandler, records: list[ConsumerRecord], events: list[Envelope]
    ) -> None:
        """Hand a run to its batch handler; if it fails, handle each record alone (retries, DLQ)."""
        started = time.perf_counter()
        try:
            await asyncio.wait_for(handler(events), self._handler_timeout_s)
        except Exception as exc:
            # One event at a time from here: a transient failure is then counted against the event that hit it.
            log.warning("batch_failed", service=self._service, events=len(events), error=error_name(exc))
            for record in records:
                await self._process(record)
            return
        seconds = (time.perf_counter() - started) / len(records)
        for record in records:
            m.CONSUMED.labels(self._service, record.topic, "ok").inc()
            m.HANDLER_SECONDS.labels(self._service, record.topic).observe(seconds)

    async def _process(self, record: ConsumerRecord) -> None:
        started = time.perf_counter()
        try:
            event = decode(record.value)
        except DecodeError as exc:
            await self._dead_letter(record, exc, attempts=0)
            return
        handler = self._handlers.get(event.type)
        if handler is None:
            await self._dead_letter(record, DecodeError(f"no handler for {event.type}"), attempts=0)
            return
        last_error: Exception | None = None
        for attempt in range(1, self._max_attempts + 1):
            try:
                await asyncio.wait_for(handler(event), self._handler_timeout_s)
            except Exception as exc:
                if is_transient(exc):
                    failures = self._count_transient_failure(record)
                    if failures < self._max_transient_restarts:
                        raise  # infrastructure trouble: restart and redeliver
                    await self._dead_letter(record, exc, attempts=failures)  # it never cleared: move on
                    return
                last_error = exc
                log.warning(
                    "handler_failed",
                    service=self._service,
                    event_id=event.id,
                    lead_id=event.subject,
                    attempt=attempt,
                    error=error_name(exc),
                )
                if attempt < self._max_attempts:
                    await asyncio.sleep(self._retry_backoff_s * 2 ** (attempt - 1))
                continue
            m.CONSUMED.labels(self._service, record.topic, "ok").inc()
            m.HANDLER_SECONDS.labels(self._service, record.topic).observe(time.perf_counter() - started)
            self._transient_failures.pop((record.topic, record.partition, record.offset), None)
            return
        assert last_error is not None
        await self._dead_letter(record, last_error, attempts=self._max_attempts)

    def _count_transient_failure(self, record: ConsumerRecord) -> int:
        """Count one more transient failure of a record; return how many it has had."""
        key = (record.topic, record.partition, record.offset)
        self._transient_failures[key] = failures = self._transient_failures.get(key, 0) + 1
        return failures

    async def _dead_letter(self, record: ConsumerRecord, error: Exception, attempts: int) -> None:
        self._transient_failures.pop((record.topic, record.partition, record.offset), None)
        dlq = Topics.dlq(record.topic)
        # Our own decode errors say what is wrong with the envelope; any other error's message may quote the
        # event's personal data, so only its type (and what caused it) is written.
        reason = f"DecodeError: {error}"[:1000] if isinstance(error, DecodeError) else error_name(error)
        headers = [
            ("error", reason.encode()),
            ("original_topic", record.topic.encode()),
            ("original_partition", str(record.partition).encode()),
            ("original_offset", str(record.offset).encode()),
            ("attempts", str(attempts).encode()),
            ("service", self._service.encode()),
        ]
        key = record.key
        await self._producer.send(dlq, record.value or b"", key, headers=headers)
        m.CONSUMED.labels(self._service, record.topic, "dead_lettered").inc()
        m.DEAD_LETTERED.labels(self._service, record.topic).inc()
        log.warning(
            "dead_lettered",
            service=self._service,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=reason[:300],
        )
