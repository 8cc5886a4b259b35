"""A service's long-lived parts: engine, producer, outbox relay, consumers and timers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence

import structlog
from fastapi import FastAPI
from sqlalchemy import Table, text

from leadrelay.db.engine import create_engine, session_factory
from leadrelay.db.housekeeping import Housekeeper
from leadrelay.db.relay import OutboxRelay
from leadrelay.kafka.access import BrokerAccessRefused, check_access
from leadrelay.kafka.admin import TopicsMisshapen, ensure_topics, verify_topics
from leadrelay.kafka.consumer import BatchHandler, ConsumerRunner, Handler
from leadrelay.kafka.ownership import SERVICES
from leadrelay.kafka.producer import SafeProducer
from leadrelay.observability.logging import error_name
from leadrelay.service.periodic import Periodic
from leadrelay.service.stopping import sleep_or_stop
from leadrelay.settings import ServiceSettings

log = structlog.get_logger(__name__)
HOUSEKEEPING_INTERVAL_S = 600


class ServiceRuntime:
    """Owns the connections and background tasks of one service process."""

    def __init__(
        self, service: str, settings: ServiceSettings, outbox: Table, *, broker_required: bool = True
    ) -> None:
        self.service = service
        # Capture's outbox keeps accepting while the broker is down: its readiness needs only the database.
        self.optional_checks = frozenset() if broker_required else frozenset({"kafka"})
        self.settings = settings
        self.topics = settings.kafka.topics
        self.engine = create_engine(
            settings.database_url, settings.postgres.pool_size, settings.postgres.limits()
        )
        self.sessions = session_factory(self.engine)
        self.producer = SafeProducer(settings.kafka, client_id=service)
        self.relay = OutboxRelay(
            self.engine,
            outbox,
            self.producer,
            service,
            poll_interval_s=settings.outbox_poll_interval_s,
            min_pass_interval_s=settings.outbox_min_pass_interval_ms / 1000,
        )
        self.consumers: list[ConsumerRunner] = []
        self._task_factories: list[tuple[str, Callable[[], Awaitable[None]]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stop_callbacks: list[Callable[[], None]] = [self.relay.stop]
        self.extra_topics: list[str] = []
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self._stopping = asyncio.Event()
        self.housekeeper = Housekeeper(self.engine, service)
        sweeps = Periodic("housekeeping", self.housekeeper.sweep_and_report, HOUSEKEEPING_INTERVAL_S)
        self.add_task(sweeps.name, sweeps.run, sweeps.stop)

    def add_consumer(
        self,
        topics: Sequence[str],
        handlers: Mapping[str, Handler],
        batch_handlers: Mapping[str, BatchHandler] | None = None,
        *,
        background: bool = False,
        group_suffix: str = "",
    ) -> ConsumerRunner:
        """Register a consumer group of the service over topics (batch handlers take runs of one event type).

        A background consumer is off the capture-to-handoff path: it waits longer for bigger fetches.
        """
        runner = ConsumerRunner(
            settings=self.settings.kafka,
            service=self.service,
            group_id=f"{self.settings.kafka.topic_prefix}leadrelay-{self.service}{group_suffix}",
            handlers=handlers,
            batch_handlers=batch_handlers,
            topics=topics,
            producer=self.producer,
            max_attempts=self.settings.consumer_max_attempts,
            stall_timeout_s=self.settings.consumer_stall_timeout_s,
            max_transient_restarts=self.settings.consumer_max_transient_restarts,
            restart_backoff_s=self.settings.consumer_restart_backoff_s,
            background=background,
            group_instance_id=self.settings.instance_id,
        )
        self.consumers.append(runner)
        self._task_factories.append((f"consumer-{len(self.consumers)}", runner.run))
        self._stop_callbacks.append(runner.stop)
        return runner

    def add_task(self, name: str, run: Callable[[], Awaitable[None]], stop: Callable[[], None]) -> None:
        """Register a background loop with its stop signal."""
        self._task_factories.append((name, run))
        self._stop_callbacks.append(stop)

    async def start(self) -> None:
        """Check the broker, then start every background task. A broker that refuses the credentials, or has the
        topics shaped otherwise than declared, stops the service here; one that is down never holds up health,
        readiness or intake: the topics are then seen to in the background."""
        if not await self._topics_ready():
            topics = self._topics_in_background()
            self._tasks.append(asyncio.create_task(topics, name=f"{self.service}-topics"))
        for hook in self.startup_hooks:
            try:
                await hook()
            except Exception as exc:  # the service still serves; what the hook prepares is retried on use
                log.warning(
                    "startup_hook_failed", service=self.service, hook=hook.__name__, error=error_name(exc)
                )
        self._tasks.append(asyncio.create_task(self.relay.run(), name=f"{self.service}-relay"))
        for name, run in self._task_factories:
            self._tasks.append(asyncio.create_task(_supervised(name, run), name=f"{self.service}-{name}"))

    async def _topics_ready(self) -> bool:
        """Sign in and see to the topics now; False when the broker did not answer in time."""
        if not await check_access(self.settings.kafka):
            return False
        try:
            await asyncio.wait_for(self.prepare_topics(self.service_topics()), 20)
        except (TopicsMisshapen, BrokerAccessRefused):
            raise
        except Exception as exc:
            log.warning("topics_not_ready", service=self.service, error=error_name(exc))
            return False
        return True

    def service_topics(self) -> list[str]:
        """Every topic the service reads or writes, dead letters included (all of them for a service not in the
        ownership declaration)."""
        owned = SERVICES.get(self.service)
        return [*(owned.names(self.topics) if owned else self.topics.all_with_dlq()), *self.extra_topics]

    async def prepare_topics(self, names: list[str]) -> None:
        """Create the topics and give them their declared shape (development), or check that they have it."""
        if self.settings.kafka.create_topics:
            await ensure_topics(self.settings.kafka, names)
        else:
            await verify_topics(self.settings.kafka, names)

    async def _topics_in_background(self, retry_s: float = 2.0) -> None:
        """See to the topics once the broker answers (the relay and consumers wait for it too)."""
        while True:
            try:
                await check_access(self.settings.kafka)
                await self.prepare_topics(self.service_topics())
                return
            except (TopicsMisshapen, BrokerAccessRefused) as exc:
                refuse_to_run(self.service, exc)
                return
            except Exception as exc:
                log.warning("ensure_topics_failed", service=self.service, error=type(exc).__name__)
                if await sleep_or_stop(self._stopping, retry_s):
                    return

    async def stop(self, timeout_s: float = 10.0) -> None:
        """Signal every task to stop, wait a bounded time, then release connections."""
        self._stopping.set()
        for stop in self._stop_callbacks:
            stop()
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=timeout_s)
            for task in pending:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*pending, return_exceptions=True)
        await self.producer.stop()
        await self.engine.dispose()

    async def readiness(self) -> dict[str, str]:
        """Check the database and the broker (optional_checks say which do not decide readiness)."""
        checks: dict[str, str] = {}
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(self.producer.ensure_started(), 3)
            checks["kafka"] = "ok"
        except Exception as exc:
            checks["kafka"] = f"unreachable: {type(exc).__name__}"
        return checks

    @contextlib.asynccontextmanager
    async def lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        """FastAPI lifespan: start background work, stop it on shutdown."""
        try:
            await self.start()
        except (TopicsMisshapen, BrokerAccessRefused) as exc:
            say_why_not(self.service, exc)
            raise
        freeze_startup_objects()
        try:
            yield
        finally:
            await self.stop()


def say_why_not(service: str, exc: Exception) -> None:
    """Log and print why the service will not run: a setting or the cluster is wrong, and retrying cannot help."""
    log.error("cannot_start", service=service, reason=str(exc))
    print(f"{service} cannot start: {exc}", file=sys.stderr, flush=True)


def refuse_to_run(service: str, exc: Exception) -> None:
    """Stop a running service found to be misconfigured after start (the broker was down then)."""
    say_why_not(service, exc)
    os.kill(os.getpid(), signal.SIGTERM)


GC_THRESHOLDS = (50_000, 20, 100)


def freeze_startup_objects() -> None:
    """Move everything alive after startup out of the garbage collector's sight, and collect less often.

    A service imports FastAPI, pydantic, SQLAlchemy, aiokafka and more: hundreds of thousands of long-lived
    objects that every full collection walked again, pausing the event loop for about 100 ms every second or
    two under load (the p99 of every request and every hop). Frozen objects are never collected; startup
    objects live for the whole process anyway.
    """
    gc.collect()
    gc.freeze()
    # Requests allocate thousands of short-lived containers, nearly all freed by reference counting; a
    # young-generation pass every 700 allocations (the default) cost capture about 6% of its CPU per lead.
    gc.set_threshold(*GC_THRESHOLDS)


async def _supervised(name: str, run: Callable[[], Awaitable[None]]) -> None:
    """Run a loop; if it ever crashes, log and run it again (a background loop must not die silently)."""
    while True:
        try:
            await run()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("background_task_crashed", task=name, error=error_name(exc))
            await asyncio.sleep(1.0)
