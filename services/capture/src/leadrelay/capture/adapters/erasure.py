"""Deleting every copy of a lead's personal data in capture's database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.capture.adapters.orm import (
    activities,
    erasures,
    idempotency_keys,
    lead_identities,
    leads,
    outbox,
)


def expire_idempotency_keys(keep_hours: float) -> str:
    """Return the housekeeping statement that forgets Idempotency-Keys older than keep_hours."""
    return f"DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => {keep_hours * 3600:.0f})"


class ErasureRepository:
    """Finds a person's leads and removes their personal data."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lead_ids_for(self, email: str | None, lead_id: str | None) -> list[str]:
        """Return the leads of an email address, or the one lead id if it exists."""
        if lead_id is not None:
            found = await self._session.scalar(select(leads.c.id).where(leads.c.id == lead_id))
            return [found] if found else []
        rows = await self._session.execute(select(leads.c.id).where(leads.c.email == email))
        return [r[0] for r in rows]

    async def erase(self, lead_id: str, now: datetime) -> None:
        """Delete the lead, its identities and activities, and every queued or sent event about it."""
        await self._session.execute(delete(activities).where(activities.c.lead_id == lead_id))
        await self._session.execute(delete(lead_identities).where(lead_identities.c.lead_id == lead_id))
        await self._session.execute(delete(leads).where(leads.c.id == lead_id))
        # A remembered answer links the client's key to the lead.
        await self._session.execute(
            delete(idempotency_keys).where(idempotency_keys.c.response["lead_id"].astext == lead_id)
        )
        # Events about the lead carry its contact details; LeadErased (added after this) carries none.
        await self._session.execute(delete(outbox).where(outbox.c.key == lead_id))
        await self._session.execute(insert(erasures).values(lead_id=lead_id, erased_at=now))

    async def confirm_marketing(self, lead_ids: list[str]) -> dict[str, list[str]]:
        """Give marketing consent to these leads (a confirmed double opt-in); return each one's purposes."""
        rows = await self._session.execute(
            update(leads)
            .where(leads.c.id.in_(lead_ids))
            .values(
                consent_marketing=True,
                consent_purposes=(leads.c.consent_purposes.op("-")("marketing")).op("||")(
                    func.jsonb_build_array("marketing")
                ),
                marketing_opted_out_at=None,
            )
            .returning(leads.c.id, leads.c.consent_purposes)
        )
        return {r[0]: list(r[1]) for r in rows}

    async def opt_out(self, email: str, now: datetime) -> dict[str, list[str]]:
        """Withdraw marketing consent for every lead of an email (only a confirmed channel gives it back);
        return each lead's id with the purposes it still agrees to."""
        rows = await self._session.execute(
            update(leads)
            .where(leads.c.email == email)
            .values(
                consent_marketing=False,
                consent_purposes=leads.c.consent_purposes.op("-")("marketing"),
                marketing_opted_out_at=now,
            )
            .returning(leads.c.id, leads.c.consent_purposes)
        )
        return {r[0]: list(r[1]) for r in rows}
