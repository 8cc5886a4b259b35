"""What scoring keeps of each lead to re-score it: its captured facts and its activities."""

from __future__ import annotations

import builtins
from datetime import datetime

import asyncpg
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.db.engine import json_text
from leadrelay.scoring.adapters.orm import lead_activities, lead_facts
from leadrelay.scoring.domain.facts import Activity, LeadFacts

# The scoring consumer's statements run on the driver (prepared once per connection, rows bound as arrays).
REMEMBER_FACTS = """
INSERT INTO lead_facts (lead_id, facts, updated_at) SELECT lead_id, facts, $3 FROM unnest($1::text[], $2::jsonb[])
    AS f(lead_id, facts)
ON CONFLICT (lead_id) DO UPDATE SET facts = EXCLUDED.facts, updated_at = EXCLUDED.updated_at
"""
FACTS_OF = "SELECT lead_id, facts FROM lead_facts WHERE lead_id = ANY($1::text[])"
ACTIVITIES_OF = "SELECT lead_id, kind, at FROM lead_activities WHERE lead_id = ANY($1::text[])"


class LeadMemory:
    """Facts and activities per lead."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def remember_many(self, facts: builtins.list[LeadFacts], now: datetime) -> None:
        """Store several leads' latest facts (each lead once) in one statement."""
        if facts:
            await self._conn.execute(
                REMEMBER_FACTS, [f.lead_id for f in facts], [json_text(f.document) for f in facts], now
            )

    async def facts_of(self, lead_ids: builtins.list[str]) -> dict[str, LeadFacts]:
        """Return the facts of those leads whose capture has arrived."""
        return {
            lead_id: LeadFacts(lead_id, doc) for lead_id, doc in await self._conn.fetch(FACTS_OF, lead_ids)
        }

    async def facts(self, lead_id: str) -> LeadFacts | None:
        """Return the lead's facts, or None when its capture has not arrived yet."""
        document = await self._session.scalar(
            select(lead_facts.c.facts).where(lead_facts.c.lead_id == lead_id)
        )
        return LeadFacts(lead_id, document) if document is not None else None

    async def add_activity(self, event_id: str, lead_id: str, kind: str, at: datetime) -> None:
        """Store one activity (once per event)."""
        await self._session.execute(
            insert(lead_activities)
            .values(event_id=event_id, lead_id=lead_id, kind=kind, at=at)
            .on_conflict_do_nothing()
        )

    async def activities(self, lead_id: str) -> builtins.list[Activity]:
        """Return the lead's activities."""
        rows = await self._session.execute(
            select(lead_activities.c.kind, lead_activities.c.at).where(lead_activities.c.lead_id == lead_id)
        )
        return [Activity(kind=r.kind, at=r.at) for r in rows]

    async def activities_of(self, lead_ids: builtins.list[str]) -> dict[str, builtins.list[Activity]]:
        """Return each lead's activities (an empty list for a lead without any)."""
        found: dict[str, builtins.list[Activity]] = {lead_id: [] for lead_id in lead_ids}
        for lead_id, kind, at in await self._conn.fetch(ACTIVITIES_OF, lead_ids):
            found[lead_id].append(Activity(kind=kind, at=at))
        return found

    async def forget(self, lead_id: str) -> None:
        """Delete the lead's facts and activities."""
        await self._session.execute(delete(lead_facts).where(lead_facts.c.lead_id == lead_id))
        await self._session.execute(delete(lead_activities).where(lead_activities.c.lead_id == lead_id))
