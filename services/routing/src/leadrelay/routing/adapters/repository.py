"""Storing decisions and round-robin cursors."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.routing.adapters.orm import decisions, round_robin_cursors


class DecisionRepository:
    """Every routing decision with its trace."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, **values: Any) -> None:
        """Record a decision."""
        await self._session.execute(insert(decisions).values(**values))

    async def handoff_of(self, lead_id: str) -> dict[str, Any] | None:
        """Return the lead's first handoff decision, if it was handed off."""
        row = (
            (
                await self._session.execute(
                    select(decisions)
                    .where(decisions.c.lead_id == lead_id, decisions.c.handed_off.is_(True))
                    .order_by(decisions.c.attempt)
                    .limit(1)
                )
            )
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def anonymise(self, lead_id: str) -> None:
        """Keep who got an erased lead and why by rule name, but drop the trace's field values."""
        await self._session.execute(
            update(decisions).where(decisions.c.lead_id == lead_id).values(trace={"erased": True})
        )

    async def for_lead(self, lead_id: str) -> list[dict[str, Any]]:
        """Return a lead's decisions, oldest first."""
        rows = await self._session.execute(
            select(decisions).where(decisions.c.lead_id == lead_id).order_by(decisions.c.decided_at)
        )
        return [dict(r) for r in rows.mappings()]


class CursorRepository:
    """Round-robin positions per queue, locked for the length of the transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, queue: str) -> int:
        """Return the queue's cursor, holding its row lock until commit (concurrent routers take turns)."""
        await self._session.execute(
            pg_insert(round_robin_cursors).values(queue=queue, position=0).on_conflict_do_nothing()
        )
        return int(
            await self._session.scalar(
                select(round_robin_cursors.c.position)
                .where(round_robin_cursors.c.queue == queue)
                .with_for_update()
            )
            or 0
        )

    async def set(self, queue: str, position: int) -> None:
        """Store the queue's next cursor."""
        await self._session.execute(
            update(round_robin_cursors).where(round_robin_cursors.c.queue == queue).values(position=position)
        )
