"""Storing scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.scoring.adapters.orm import scores
from leadrelay.scoring.domain.rules import ScoreResult


class ScoreRepository:
    """The latest score of each lead."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self,
        lead_id: str,
        source: str | None,
        result: ScoreResult,
        reasons: list[dict[str, Any]],
        now: datetime,
    ) -> None:
        """Insert or replace a lead's score, counting how often it was scored."""
        values = {
            "lead_id": lead_id,
            "score": result.score,
            "fit": result.fit,
            "engagement": result.engagement,
            "grade": result.grade,
            "stage": result.stage,
            "reasons": reasons,
            "ruleset_version": result.ruleset_version,
            "source": source,
            "scored_at": now,
        }
        stmt = insert(scores).values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                **{k: stmt.excluded[k] for k in values if k != "lead_id"},
                "times_scored": scores.c.times_scored + 1,
            },
        )
        await self._session.execute(stmt)

    async def get(self, lead_id: str) -> dict[str, Any] | None:
        """Return a lead's score row, or None."""
        row = (
            (await self._session.execute(select(scores).where(scores.c.lead_id == lead_id)))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def forget(self, lead_id: str) -> None:
        """Delete a lead's score."""
        await self._session.execute(delete(scores).where(scores.c.lead_id == lead_id))

    async def count(self) -> int:
        """Return how many leads have a score."""
        return int(await self._session.scalar(select(func.count()).select_from(scores)) or 0)
