"""Tombstones of erased leads: events about an erased lead that arrive late (another topic) are ignored."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


def erased_leads_table(metadata: MetaData) -> Table:
    """Define the erased_leads table on a service's metadata."""
    return Table(
        "erased_leads",
        metadata,
        Column("lead_id", String(36), primary_key=True),
        Column("erased_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )


class Tombstones:
    """Which leads were erased."""

    def __init__(self, session: AsyncSession, table: Table) -> None:
        self._session = session
        self._table = table

    async def bury(self, lead_id: str) -> None:
        """Remember that a lead was erased."""
        await self._session.execute(insert(self._table).values(lead_id=lead_id).on_conflict_do_nothing())

    async def is_erased(self, lead_id: str) -> bool:
        """Return True when the lead was erased."""
        found = await self._session.scalar(
            select(self._table.c.lead_id).where(self._table.c.lead_id == lead_id)
        )
        return found is not None

    async def erased(self, lead_ids: set[str]) -> set[str]:
        """Return which of lead_ids were erased."""
        if not lead_ids:
            return set()
        found = await self._session.scalars(
            select(self._table.c.lead_id).where(self._table.c.lead_id.in_(lead_ids))
        )
        return set(found.all())
