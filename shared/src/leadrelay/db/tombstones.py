"""Tombstones of erased leads: events about an erased lead that arrive late (another topic) are ignored."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy import Column, DateTime, MetaData, String, Table, func


def _erased_leads_columns() -> tuple[Column[Any], ...]:
    return (
        Column("lead_id", String(36), primary_key=True),
        Column("erased_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


def erased_leads_table(metadata: MetaData) -> Table:
    """Define the erased_leads table on a service's metadata."""
    return Table("erased_leads", metadata, *_erased_leads_columns())


def create_erased_leads_table() -> None:
    """Create the erased_leads table, in a service's Alembic migration."""
    from alembic import op

    op.create_table("erased_leads", *_erased_leads_columns())


def drop_erased_leads_table() -> None:
    """Drop the erased_leads table, in a service's Alembic downgrade."""
    from alembic import op

    op.drop_table("erased_leads")


class Tombstones:
    """Which leads were erased (on the driver: consumers ask for every batch)."""

    def __init__(self, conn: asyncpg.Connection, table: Table) -> None:
        self._conn = conn
        self._bury = f"INSERT INTO {table.name} (lead_id) VALUES ($1) ON CONFLICT DO NOTHING"
        self._erased = f"SELECT lead_id FROM {table.name} WHERE lead_id = ANY($1::text[])"

    async def bury(self, lead_id: str) -> None:
        """Remember that a lead was erased."""
        await self._conn.execute(self._bury, lead_id)

    async def is_erased(self, lead_id: str) -> bool:
        """Return True when the lead was erased."""
        return bool(await self.erased({lead_id}))

    async def erased(self, lead_ids: set[str]) -> set[str]:
        """Return which of lead_ids were erased."""
        if not lead_ids:
            return set()
        return {row[0] for row in await self._conn.fetch(self._erased, list(lead_ids))}
