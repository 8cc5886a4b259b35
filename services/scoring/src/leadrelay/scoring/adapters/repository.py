"""Storing scores."""

from __future__ import annotations

import builtins
from datetime import datetime

import asyncpg
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.db.engine import json_text
from leadrelay.events.scoring import Reason
from leadrelay.scoring.adapters.orm import scores
from leadrelay.scoring.domain.score import StoredScore
from leadrelay.scoring.scorer import Assessment

# The scoring consumer's statements run on the driver (prepared once per connection, rows bound as arrays).
SAVE_SCORES = """
INSERT INTO scores (
    lead_id, score, fit, engagement, grade, stage, reasons, ruleset_version, source, probability, model_version,
    qualification, sql_at, scored_at
)
SELECT *, $14::timestamptz FROM unnest(
    $1::text[], $2::int[], $3::int[], $4::int[], $5::text[], $6::text[], $7::jsonb[], $8::text[], $9::text[],
    $10::float8[], $11::text[], $12::jsonb[], $13::timestamptz[]
)
ON CONFLICT (lead_id) DO UPDATE SET
    score = EXCLUDED.score, fit = EXCLUDED.fit, engagement = EXCLUDED.engagement, grade = EXCLUDED.grade,
    stage = EXCLUDED.stage, reasons = EXCLUDED.reasons, ruleset_version = EXCLUDED.ruleset_version,
    source = EXCLUDED.source, probability = EXCLUDED.probability, model_version = EXCLUDED.model_version,
    qualification = EXCLUDED.qualification, scored_at = EXCLUDED.scored_at,
    times_scored = scores.times_scored + 1, sql_at = coalesce(scores.sql_at, EXCLUDED.sql_at)
"""
SCORES_OF = "SELECT * FROM scores WHERE lead_id = ANY($1::text[])"


class ScoreRepository:
    """The latest score of each lead."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def save_many(
        self, scored: builtins.list[tuple[str, str | None, Assessment]], now: datetime
    ) -> None:
        """Insert or replace several leads' scores (each lead once) in one statement."""
        if not scored:
            return
        results = [assessment.result for _, _, assessment in scored]
        await self._conn.execute(
            SAVE_SCORES,
            [lead_id for lead_id, _, _ in scored],
            [r.score for r in results],
            [r.fit for r in results],
            [r.engagement for r in results],
            [r.grade for r in results],
            [r.stage for r in results],
            [json_text([x.model_dump(exclude_none=True) for x in a.reasons()]) for _, _, a in scored],
            [r.ruleset_version for r in results],
            [source for _, source, _ in scored],
            [a.probability for _, _, a in scored],
            [a.model_version for _, _, a in scored],
            [json_text([c.model_dump() for c in a.checklists()]) for _, _, a in scored],
            [now if r.stage == "sql" else None for r in results],
            now,
        )

    async def return_to_nurture(self, lead_id: str, reasons: builtins.list[Reason], now: datetime) -> None:
        """Set the lead's stage back to nurture (sales rejected it), keeping the reasons why."""
        documents = [r.model_dump(exclude_none=True) for r in reasons]
        await self._session.execute(
            update(scores)
            .where(scores.c.lead_id == lead_id)
            .values(stage="nurture", reasons=documents, scored_at=now, times_scored=scores.c.times_scored + 1)
        )

    async def get(self, lead_id: str) -> StoredScore | None:
        """Return a lead's score, or None."""
        row = (
            (await self._session.execute(select(scores).where(scores.c.lead_id == lead_id)))
            .mappings()
            .first()
        )
        return StoredScore(**row) if row else None

    async def get_many(self, lead_ids: builtins.list[str]) -> dict[str, StoredScore]:
        """Return the scores of those leads that have one."""
        return {row["lead_id"]: StoredScore(**row) for row in await self._conn.fetch(SCORES_OF, lead_ids)}

    async def forget(self, lead_id: str) -> None:
        """Delete a lead's score."""
        await self._session.execute(delete(scores).where(scores.c.lead_id == lead_id))

    async def count(self) -> int:
        """Return how many leads have a score."""
        return int(await self._session.scalar(select(func.count()).select_from(scores)) or 0)
