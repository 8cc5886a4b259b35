"""The breach poller: a loop that breaches due clocks and warns of near ones, safe with several replicas."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from leadrelay.events import Topics
from leadrelay.observability.logging import error_name
from leadrelay.service.stopping import sleep_or_stop
from leadrelay.sla_monitor.handlers import breach_due_handoffs, warn_due_handoffs
from leadrelay.sla_monitor.ports import SlaUnitOfWork

log = structlog.get_logger(__name__)


class BreachPoller:
    """Polls for due clocks every interval; drains without waiting while batches come back full."""

    def __init__(
        self,
        new_uow: Callable[[], SlaUnitOfWork],
        topics: Topics,
        interval_s: float,
        batch: int,
        on_breaches: Callable[[], None] | None = None,
    ) -> None:
        self._new_uow = new_uow
        self._topics = topics
        self._interval_s = interval_s
        self._batch = batch
        self._on_breaches = on_breaches
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop after the current batch."""
        self._stopping.set()

    async def run(self) -> None:
        """Breach until stopped; database errors are logged and retried."""
        while not self._stopping.is_set():
            try:
                breached = await breach_due_handoffs(self._new_uow(), self._topics, self._batch)
                breached += await warn_due_handoffs(self._new_uow(), self._topics, self._batch)
            except Exception as exc:
                log.warning("breach_poll_failed", error=error_name(exc))
                breached = 0
            if breached and self._on_breaches:
                self._on_breaches()
            if breached >= self._batch:
                continue
            await sleep_or_stop(self._stopping, self._interval_s)
