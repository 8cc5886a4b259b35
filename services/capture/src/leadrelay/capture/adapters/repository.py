"""Reading stored leads (intake_store.py writes them, and their activities)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.capture.adapters.orm import leads


class LeadRepository:
    """Leads in capture's database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def exists(self, lead_id: str) -> bool:
        """Return whether a lead is stored."""
        return await self.email_of(lead_id) is not None

    async def email_of(self, lead_id: str) -> str | None:
        """Return a stored lead's email, or None when there is no such lead."""
        return await self._session.scalar(select(leads.c.email).where(leads.c.id == lead_id))

    async def count(self) -> int:
        """Return how many leads are stored."""
        return int(await self._session.scalar(select(func.count()).select_from(leads)) or 0)
