"""Consumer-side dedupe: each event id is handled once per service database."""

from __future__ import annotations

import asyncpg
from sqlalchemy import Table

from leadrelay.db.arrays import unnest_insert
from leadrelay.events import Envelope


class Inbox:
    """Records handled event ids in the handler's own transaction (on the driver: it runs for every batch)."""

    def __init__(self, conn: asyncpg.Connection, table: Table) -> None:
        self._conn = conn
        self._claim = unnest_insert(
            table.name,
            [("event_id", "text"), ("event_type", "text")],
            then="ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        )

    async def claim(self, event: Envelope) -> bool:
        """Return True the first time an event is seen; False for a redelivery."""
        return bool(await self.claim_many([event]))

    async def claim_many(self, events: list[Envelope]) -> list[Envelope]:
        """Return the events seen for the first time, in order and each once (one statement for all)."""
        unique = list({event.id: event for event in events}.values())
        if not unique:
            return []
        rows = await self._conn.fetch(self._claim, [e.id for e in unique], [e.type for e in unique])
        claimed = {row[0] for row in rows}
        return [event for event in unique if event.id in claimed]
