"""Outcomes (won, lost, disqualified) with the lead's model columns as they were before it reached sales."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.scoring.adapters.orm import outcomes
from leadrelay.scoring.domain.score import TrainingExample


class OutcomeRepository:
    """The latest outcome of each lead, the training examples of retraining."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record(
        self,
        lead_id: str,
        outcome: str,
        value: float | None,
        at: datetime,
        features: dict[str, Any],
        now: datetime,
    ) -> None:
        """Store a lead's outcome; a later outcome of the same lead replaces an earlier one."""
        stmt = insert(outcomes).values(
            lead_id=lead_id, outcome=outcome, value=value, at=at, features=features, recorded_at=now
        )
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["lead_id"],
                set_={k: stmt.excluded[k] for k in ("outcome", "value", "at", "features", "recorded_at")},
                where=outcomes.c.at <= stmt.excluded.at,
            )
        )

    async def forget(self, lead_id: str) -> None:
        """Delete the lead's outcome (erasure)."""
        await self._session.execute(delete(outcomes).where(outcomes.c.lead_id == lead_id))

    async def all(self) -> list[TrainingExample]:
        """Return every outcome with its features and time, oldest first."""
        rows = await self._session.execute(
            select(outcomes.c.outcome, outcomes.c.features, outcomes.c.at).order_by(
                outcomes.c.at, outcomes.c.lead_id
            )
        )
        return [TrainingExample(**r) for r in rows.mappings()]

    async def count_since(self, since: datetime | None) -> int:
        """Return how many outcomes were recorded after `since` (all when None)."""
        query = select(func.count()).select_from(outcomes)
        if since is not None:
            query = query.where(outcomes.c.recorded_at > since)
        return int(await self._session.scalar(query) or 0)
