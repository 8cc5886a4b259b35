"""Storing leads, identities, activities and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.capture.adapters.intake_store import PostgresIntakeStore
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


class ActivityRepository:
    """Engagement of known leads, stored by the statement intake's resubmissions use."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._intake = PostgresIntakeStore(conn)

    async def add(
        self, activity_id: str, lead_id: str, kind: str, at: datetime, properties: dict[str, Any]
    ) -> None:
        """Record one activity."""
        await self._intake.insert_activity(activity_id, lead_id, kind, at, properties)
