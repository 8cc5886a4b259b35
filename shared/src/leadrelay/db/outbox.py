"""Writing events to the outbox inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy import Table

from leadrelay.db.arrays import unnest_insert
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


OUTBOX_COLUMNS = (
    ("event_id", "text"),
    ("topic", "text"),
    ("key", "text"),
    ("value", "bytea"),
    ("headers", "jsonb"),
)


async def insert_outbox(
    conn: asyncpg.Connection, rows: Sequence[dict[str, Any]], table: str = "outbox"
) -> None:
    """Insert outbox rows (as outbox_row builds them) in one statement: the columns go in as arrays."""
    await conn.execute(
        unnest_insert(table, OUTBOX_COLUMNS),
        [r["event_id"] for r in rows],
        [r["topic"] for r in rows],
        [r["key"] for r in rows],
        [r["value"] for r in rows],
        [json.dumps(r["headers"]) for r in rows],
    )


class Outbox:
    """Collects events during a unit of work; they are inserted in the same transaction on flush."""

    def __init__(self, conn: asyncpg.Connection, table: Table) -> None:
        self._conn = conn
        self._table = table.name
        self._pending: list[dict[str, Any]] = []

    def add(self, event: Envelope, topic: str, key: str | None = None) -> None:
        """Queue an event for publishing on topic (key defaults to the event subject)."""
        self._pending.append(outbox_row(event, topic, key))

    async def forget(self, key: str) -> None:
        """Delete every event queued or sent under key (a lead id): they may carry its personal data."""
        await self._conn.execute(f"DELETE FROM {self._table} WHERE key = $1", key)

    async def flush(self) -> None:
        """Insert the queued events (called by the unit of work before commit)."""
        if self._pending:
            await insert_outbox(self._conn, self._pending, self._table)
            self._pending.clear()
