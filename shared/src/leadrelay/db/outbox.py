"""Writing events to the outbox inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.events import Envelope, encode


def outbox_row(event: Envelope, topic: str, key: str | None = None) -> dict[str, Any]:
    """Return the outbox row that publishes event on topic (key defaults to the event subject)."""
    return {
        "event_id": f"{event.id}@{topic}",
        "topic": topic,
        "key": key if key is not None else event.subject,
        "value": encode(event),
        "headers": {"ce_type": event.type},
    }


class Outbox:
    """Collects events during a unit of work; they are inserted in the same transaction on flush."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table
        self._pending: list[dict[str, Any]] = []

    def add(self, event: Envelope, topic: str, key: str | None = None) -> None:
        """Queue an event for publishing on topic (key defaults to the event subject)."""
        self._pending.append(outbox_row(event, topic, key))

    async def forget(self, key: str) -> None:
        """Delete every event queued or sent under key (a lead id): they may carry its personal data."""
        await self._session.execute(delete(self._table).where(self._table.c.key == key))

    async def flush(self) -> None:
        """Insert the queued events (called by the unit of work before commit)."""
        if self._pending:
            await self._session.execute(insert(self._table), self._pending)
            self._pending.clear()
