"""What scoring keeps of each lead to re-score it: its captured facts and its activities."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.scoring.adapters.orm import lead_activities, lead_facts
from leadrelay.scoring.domain.rules import Activity


class LeadMemory:
    """Facts and activities per lead."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, lead_id: str, facts: dict[str, Any], now: datetime) -> None:
        """Store the lead's latest captured facts."""
        stmt = insert(lead_facts).values(lead_id=lead_id, facts=facts, updated_at=now)
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["lead_id"], set_={"facts": stmt.excluded.facts, "updated_at": now}
            )
        )

    async def remember_many(self, facts: dict[str, dict[str, Any]], now: datetime) -> None:
        """Store several leads' latest captured facts (lead id -> facts) in one statement."""
        if not facts:
            return
        stmt = insert(lead_facts)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={"facts": stmt.excluded.facts, "updated_at": stmt.excluded.updated_at},
        )
        await self._session.execute(
            stmt, [{"lead_id": lead_id, "facts": f, "updated_at": now} for lead_id, f in facts.items()]
        )

    async def facts_of(self, lead_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Return the facts of those leads whose capture has arrived."""
        rows = await self._session.execute(
            select(lead_facts.c.lead_id, lead_facts.c.facts).where(lead_facts.c.lead_id.in_(lead_ids))
        )
        return {lead_id: facts for lead_id, facts in rows}

    async def facts(self, lead_id: str) -> dict[str, Any] | None:
        """Return the lead's facts, or None when its capture has not arrived yet."""
        return await self._session.scalar(select(lead_facts.c.facts).where(lead_facts.c.lead_id == lead_id))

    async def add_activity(self, event_id: str, lead_id: str, kind: str, at: datetime) -> None:
        """Store one activity (once per event)."""
        await self._session.execute(
            insert(lead_activities)
            .values(event_id=event_id, lead_id=lead_id, kind=kind, at=at)
            .on_conflict_do_nothing()
        )

    async def activities(self, lead_id: str) -> list[Activity]:
        """Return the lead's activities."""
        rows = await self._session.execute(
            select(lead_activities.c.kind, lead_activities.c.at).where(lead_activities.c.lead_id == lead_id)
        )
        return [Activity(kind=r.kind, at=r.at) for r in rows]

    async def activities_of(self, lead_ids: list[str]) -> dict[str, list[Activity]]:
        """Return each lead's activities (an empty list for a lead without any)."""
        found: dict[str, list[Activity]] = {lead_id: [] for lead_id in lead_ids}
        rows = await self._session.execute(
            select(lead_activities.c.lead_id, lead_activities.c.kind, lead_activities.c.at).where(
                lead_activities.c.lead_id.in_(lead_ids)
            )
        )
        for row in rows:
            found[row.lead_id].append(Activity(kind=row.kind, at=row.at))
        return found

    async def forget(self, lead_id: str) -> None:
        """Delete the lead's facts and activities."""
        await self._session.execute(delete(lead_facts).where(lead_facts.c.lead_id == lead_id))
        await self._session.execute(delete(lead_activities).where(lead_activities.c.lead_id == lead_id))
