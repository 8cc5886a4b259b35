"""Storing follow-up clocks; deadlines are claimed by database time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.sla_monitor.adapters.orm import handoffs


class HandoffRepository:
    """Handoff clocks in the SLA monitor's database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(self, **values: Any) -> None:
        """Start a clock once; a row made by an early contact gets the handoff's details and stays contacted."""
        stmt = insert(handoffs).values(state="open", **values)
        await self._session.execute(
            stmt.on_conflict_do_update(
                index_elements=["handoff_id"],
                set_={k: stmt.excluded[k] for k in values if k != "handoff_id"},
                where=handoffs.c.due_at.is_(None),
            )
        )

    async def contacted_early(
        self,
        handoff_id: str,
        at: datetime,
        channel: str,
        lead_id: str | None = None,
        owner_id: str | None = None,
    ) -> bool:
        """Record a contact that arrived before its handoff; return False when the handoff already exists.

        Without a lead id (an HTTP report) the LeadContacted event waits until the handoff arrives.
        """
        result = await self._session.execute(
            insert(handoffs)
            .values(
                handoff_id=handoff_id,
                lead_id=lead_id,
                owner_id=owner_id,
                state="contacted",
                contacted_at=at,
                contact_channel=channel,
                contact_event_pending=lead_id is None,
            )
            .on_conflict_do_nothing(index_elements=["handoff_id"])
            .returning(handoffs.c.handoff_id)
        )
        return result.first() is not None

    async def clear_contact_event_pending(self, handoff_id: str) -> None:
        """Note that the early contact's LeadContacted has been queued."""
        await self._session.execute(
            update(handoffs).where(handoffs.c.handoff_id == handoff_id).values(contact_event_pending=False)
        )

    async def get(self, handoff_id: str, lock: bool = False) -> dict[str, Any] | None:
        """Return one handoff, optionally locking its row."""
        stmt = select(handoffs).where(handoffs.c.handoff_id == handoff_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).mappings().first()
        return dict(row) if row else None

    async def record_contact(self, handoff_id: str, state: str, at: datetime, channel: str) -> None:
        """Store first contact (only the first one counts)."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.handoff_id == handoff_id, handoffs.c.contacted_at.is_(None))
            .values(state=state, contacted_at=at, contact_channel=channel)
        )

    async def claim_due(self, limit: int) -> list[dict[str, Any]]:
        """Lock open clocks whose deadline passed by database time; other replicas skip them."""
        rows = await self._session.execute(
            text(
                "SELECT handoff_id, lead_id, owner_id, queue, attempt, due_at, now() AS db_now "
                "FROM handoffs WHERE state = 'open' AND due_at <= now() "
                "ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED"
            ),
            {"limit": limit},
        )
        return [dict(r) for r in rows.mappings()]

    async def mark_breached(self, handoff_ids: list[str]) -> None:
        """Mark clocks breached at database time."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.handoff_id.in_(handoff_ids))
            .values(state="breached", breached_at=func.now())
        )

    async def list(self, state: str | None, limit: int) -> list[dict[str, Any]]:
        """Return handoffs, soonest deadline first, optionally of one state."""
        stmt = select(handoffs).order_by(handoffs.c.due_at).limit(limit)
        if state:
            stmt = stmt.where(handoffs.c.state == state)
        return [dict(r) for r in (await self._session.execute(stmt)).mappings()]
