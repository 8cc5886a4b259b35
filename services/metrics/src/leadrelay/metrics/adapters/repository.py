"""Funnel counts and the lead -> source map used to attribute later events."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.metrics.adapters.orm import funnel_counts, lead_sources
from leadrelay.metrics.domain.funnel import FunnelEntry


class FunnelRepository:
    """Counts per day, step, stage, source and queue."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, day: date, entry: FunnelEntry) -> None:
        """Add one to a count."""
        stmt = insert(funnel_counts).values(
            day=day, step=entry.step, stage=entry.stage, source=entry.source, queue=entry.queue, count=1
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["day", "step", "stage", "source", "queue"],
                set_={"count": funnel_counts.c.count + 1},
            )
        )

    async def rows(
        self, start: date | None, end: date | None, source: str | None, queue: str | None
    ) -> list[dict[str, Any]]:
        """Return count rows in [start, end], optionally for one source or queue."""
        stmt = select(funnel_counts).order_by(funnel_counts.c.day, funnel_counts.c.step)
        if start:
            stmt = stmt.where(funnel_counts.c.day >= start)
        if end:
            stmt = stmt.where(funnel_counts.c.day <= end)
        if source:
            stmt = stmt.where(funnel_counts.c.source == source)
        if queue:
            stmt = stmt.where(funnel_counts.c.queue == queue)
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]

    async def totals_by_labels(self) -> list[dict[str, Any]]:
        """Return all-time counts grouped by step, stage, source and queue (for Prometheus)."""
        stmt = select(
            funnel_counts.c.step,
            funnel_counts.c.stage,
            funnel_counts.c.source,
            funnel_counts.c.queue,
            func.sum(funnel_counts.c.count).label("count"),
        ).group_by(funnel_counts.c.step, funnel_counts.c.stage, funnel_counts.c.source, funnel_counts.c.queue)
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]


class LeadSourceRepository:
    """Which source each lead came from."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, lead_id: str, source: str) -> None:
        """Store a lead's source (first one wins)."""
        await self._session.execute(
            insert(lead_sources).values(lead_id=lead_id, source=source).on_conflict_do_nothing()
        )

    async def source_of(self, lead_id: str) -> str | None:
        """Return a lead's source, if known."""
        return await self._session.scalar(
            select(lead_sources.c.source).where(lead_sources.c.lead_id == lead_id)
        )

    async def forget(self, lead_id: str) -> None:
        """Drop an erased lead's link."""
        await self._session.execute(delete(lead_sources).where(lead_sources.c.lead_id == lead_id))
