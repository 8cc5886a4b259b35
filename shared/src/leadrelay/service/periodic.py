"""Work on a timer in the background: housekeeping sweeps, and gauges computed from the database off the
request path."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from leadrelay.service.stopping import sleep_or_stop

log = structlog.get_logger(__name__)


class Periodic:
    """Run a coroutine function now and then every interval until stopped; a failure waits for the next turn.

    Scrapes of /metrics are public and must stay cheap: a gauge that needs a database aggregate is refreshed
    here, so however often /metrics is fetched, the database sees one query per interval."""

    def __init__(self, name: str, refresh: Callable[[], Awaitable[None]], interval_s: float) -> None:
        self.name = name
        self._refresh = refresh
        self._interval_s = interval_s
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        """Refresh until stopped."""
        self._stopping.clear()
        while not self._stopping.is_set():
            try:
                await self._refresh()
            except Exception as exc:  # the database may be down: try again next turn
                log.warning("periodic_task_failed", task=self.name, error=type(exc).__name__)
            await sleep_or_stop(self._stopping, self._interval_s)

    def stop(self) -> None:
        """Ask the loop to end after its current turn."""
        self._stopping.set()
