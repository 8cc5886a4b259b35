"""Storing scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.scoring.adapters.orm import scores
from leadrelay.scoring.scorer import Assessment


class ScoreRepository:
    """The latest score of each lead."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save_many(self, scored: list[tuple[str, str | None, Assessment]], now: datetime) -> None:
        """Insert or replace several leads' scores (each lead once) in one statement."""
        if not scored:
            return
        rows = []
        for lead_id, source, assessment in scored:
            result = assessment.result
            rows.append(
                {
                    "lead_id": lead_id,
                    "score": result.score,
                    "fit": result.fit,
                    "engagement": result.engagement,
                    "grade": result.grade,
                    "stage": result.stage,
                    "reasons": [r.model_dump(exclude_none=True) for r in assessment.reasons()],
                    "ruleset_version": result.ruleset_version,
                    "source": source,
                    "scored_at": now,
                    "probability": assessment.probability,
                    "model_version": assessment.model_version,
                    "qualification": [c.model_dump() for c in assessment.checklists()],
                    "sql_at": now if result.stage == "sql" else None,
                }
            )
        stmt = insert(scores)
        replaced = [k for k in rows[0] if k not in ("lead_id", "sql_at")]
        stmt = stmt.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                **{k: stmt.excluded[k] for k in replaced},
                "times_scored": scores.c.times_scored + 1,
                "sql_at": func.coalesce(scores.c.sql_at, stmt.excluded.sql_at),
            },
        )
        await self._session.execute(stmt, rows)

    async def return_to_nurture(self, lead_id: str, reasons: list[dict[str, Any]], now: datetime) -> None:
        """Set the lead's stage back to nurture (sales rejected it), keeping the reasons why."""
        await self._session.execute(
            update(scores)
            .where(scores.c.lead_id == lead_id)
            .values(stage="nurture", reasons=reasons, scored_at=now, times_scored=scores.c.times_scored + 1)
        )

    async def get(self, lead_id: str) -> dict[str, Any] | None:
        """Return a lead's score row, or None."""
        row = (
            (await self._session.execute(select(scores).where(scores.c.lead_id == lead_id)))
            .mappings()
            .first()
        )
        return dict(row) if row else None

    async def get_many(self, lead_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Return the score rows of those leads that have one."""
        rows = await self._session.execute(select(scores).where(scores.c.lead_id.in_(lead_ids)))
        return {row["lead_id"]: dict(row) for row in rows.mappings()}

    async def forget(self, lead_id: str) -> None:
        """Delete a lead's score."""
        await self._session.execute(delete(scores).where(scores.c.lead_id == lead_id))

    async def count(self) -> int:
        """Return how many leads have a score."""
        return int(await self._session.scalar(select(func.count()).select_from(scores)) or 0)
