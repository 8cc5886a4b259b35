"""Storing leads."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.capture.adapters.orm import leads
from leadrelay.capture.domain.lead import CapturedLead


class LeadRepository:
    """Leads in capture's database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, captured: CapturedLead) -> None:
        """Insert a captured lead."""
        lead = captured.lead
        await self._session.execute(
            insert(leads).values(
                id=captured.lead_id,
                email=lead.email,
                name=lead.name,
                phone=lead.phone,
                company=lead.company,
                title=lead.title,
                company_size=lead.company_size,
                industry=lead.industry,
                country=lead.country,
                message=lead.message,
                source=lead.source,
                form_id=lead.form_id,
                completeness=captured.completeness,
                utm=lead.utm,
                consent_marketing=lead.consent_marketing,
                consent_policy_version=lead.consent_policy_version,
                captured_at=captured.captured_at,
            )
        )

    async def count(self) -> int:
        """Return how many leads are stored."""
        rows = await self._session.execute(select(leads.c.id))
        return len(rows.all())
