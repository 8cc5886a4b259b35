"""Storing leads, identities, activities and idempotency keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.capture.adapters.orm import activities, leads
from leadrelay.capture.domain.lead import CapturedLead, asked_a_question


def lead_columns(captured: CapturedLead) -> dict[str, Any]:
    """Return the leads-table columns of a captured lead (all but id and captured_at)."""
    lead = captured.lead
    return {
        "email": lead.email,
        "name": lead.name,
        "phone": lead.phone,
        "company": lead.company,
        "title": lead.title,
        "company_size": lead.company_size,
        "employees": lead.employees,
        "industry": lead.industry,
        "country": lead.country,
        "message": lead.message,
        "source": lead.source,
        "form_id": lead.form_id,
        "completeness": captured.completeness,
        "utm": lead.utm,
        "consent_marketing": lead.consent_marketing,
        "consent_policy_version": lead.consent_policy_version,
        "consent_purposes": list(lead.consent_purposes),
        "disposable_email": lead.disposable_email,
        "question_asked": asked_a_question(lead),
    }


class LeadRepository:
    """Leads in capture's database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, lead_id: str) -> dict[str, Any] | None:
        """Return a lead row, or None."""
        row = (await self._session.execute(select(leads).where(leads.c.id == lead_id))).mappings().first()
        return dict(row) if row else None

    async def count(self) -> int:
        """Return how many leads are stored."""
        return int(await self._session.scalar(select(func.count()).select_from(leads)) or 0)


class ActivityRepository:
    """Engagement of known leads."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, activity_id: str, lead_id: str, kind: str, at: datetime, properties: dict[str, Any]
    ) -> None:
        """Record one activity."""
        await self._session.execute(
            insert(activities).values(
                id=activity_id, lead_id=lead_id, kind=kind, at=at, properties=properties
            )
        )
