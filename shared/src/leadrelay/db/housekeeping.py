"""Keeping the messaging tables small: sent outbox rows and old inbox ids are deleted after a while."""

from __future__ import annotations

import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)


class Housekeeper:
    """Deletes outbox rows sent longer ago than outbox_keep_s and inbox ids older than inbox_keep_s.

    The inbox window must outlast any redelivery (rebalances, restarts, replays from the DLQ); a week is
    far beyond the broker's usual retention of unconsumed offsets.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        service: str,
        outbox_keep_s: float = 86400,
        inbox_keep_s: float = 7 * 86400,
    ) -> None:
        # Statements of the service's own that delete what is past its keep time (e.g. capture's idempotency keys).
        self.extra_sweeps: list[str] = []
        self._engine = engine
        self._service = service
        self._outbox_keep_s = outbox_keep_s
        self._inbox_keep_s = inbox_keep_s

    async def sweep(self) -> tuple[int, int]:
        """Delete what is past its keep time; return (outbox rows, inbox ids) deleted."""
        async with self._engine.begin() as conn:
            outbox = await conn.execute(
                text("DELETE FROM outbox WHERE sent_at < now() - make_interval(secs => :s)"),
                {"s": self._outbox_keep_s},
            )
            inbox = await conn.execute(
                text("DELETE FROM inbox WHERE received_at < now() - make_interval(secs => :s)"),
                {"s": self._inbox_keep_s},
            )
            for statement in self.extra_sweeps:
                await conn.execute(text(statement))
        return int(outbox.rowcount or 0), int(inbox.rowcount or 0)

    async def sweep_and_report(self) -> None:
        """Sweep once and log what was deleted (run on a timer by the service's runtime)."""
        deleted = await self.sweep()
        if any(deleted):
            log.info("housekeeping", service=self._service, outbox=deleted[0], inbox=deleted[1])
