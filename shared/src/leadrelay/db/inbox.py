"""Consumer-side dedupe: each event id is handled once per service database."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.events import Envelope


class Inbox:
    """Records handled event ids in the handler's own transaction."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table

    async def claim(self, event: Envelope) -> bool:
        """Return True the first time an event is seen; False for a redelivery."""
        stmt = (
            insert(self._table)
            .values(event_id=event.id, event_type=event.type)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(self._table.c.event_id)
        )
        result = await self._session.execute(stmt)
        return result.first() is not None

    async def claim_many(self, events: list[Envelope]) -> list[Envelope]:
        """Return the events seen for the first time, in order and each once (one statement for all)."""
        unique = list({event.id: event for event in events}.values())
        if not unique:
            return []
        # One cached statement run over many rows (SQLAlchemy sends it as one multi-row INSERT): a statement
        # with the rows in its VALUES would be compiled afresh for every batch.
        stmt = (
            insert(self._table)
            .on_conflict_do_nothing(index_elements=["event_id"])
            .returning(self._table.c.event_id)
        )
        rows = [{"event_id": e.id, "event_type": e.type} for e in unique]
        claimed = set((await self._session.scalars(stmt, rows)).all())
        return [event for event in unique if event.id in claimed]
