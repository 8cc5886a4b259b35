"""Storing leads, identities, activities and idempotency keys."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.capture.adapters.orm import activities, idempotency_keys, lead_identities, leads
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


def merge_changes(captured: CapturedLead) -> dict[str, Any]:
    """Return the column updates that fold a repeat submission into the surviving lead.

    New values fill gaps, consent and the question flag can only be gained; where it came from stays first.
    """
    values = lead_columns(captured)
    keep_first = {"source", "form_id", "completeness", "utm", "email", "consent_purposes"}
    sets: dict[str, Any] = {
        k: func.coalesce(leads.c[k], v) for k, v in values.items() if k not in keep_first and v is not None
    }
    sets["consent_marketing"] = leads.c.consent_marketing | values["consent_marketing"]
    sets["question_asked"] = leads.c.question_asked | values["question_asked"]
    sets["updated_at"] = captured.captured_at
    return sets


class LeadRepository:
    """Leads in capture's database."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, captured: CapturedLead) -> None:
        """Insert a new lead."""
        await self._session.execute(
            insert(leads).values(
                id=captured.lead_id, captured_at=captured.captured_at, **lead_columns(captured)
            )
        )

    async def merge(self, captured: CapturedLead) -> None:
        """Fold a repeat submission into the surviving lead."""
        sets = merge_changes(captured)
        await self._session.execute(update(leads).where(leads.c.id == captured.lead_id).values(**sets))

    async def get(self, lead_id: str) -> dict[str, Any] | None:
        """Return a lead row, or None."""
        row = (await self._session.execute(select(leads).where(leads.c.id == lead_id))).mappings().first()
        return dict(row) if row else None

    async def count(self) -> int:
        """Return how many leads are stored."""
        return int(await self._session.scalar(select(func.count()).select_from(leads)) or 0)


class IdentityRepository:
    """Who is who: one surviving lead per normalised email within the dedupe window."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def resolve(self, identity: str, candidate_id: str, now: datetime, window: timedelta) -> str:
        """Return the surviving lead id: the existing one seen within window, else candidate_id.

        One upsert on the identity's primary key, so concurrent submissions of one person serialise
        on its row lock and agree on the survivor (no check-then-insert race).
        """
        insert_new = pg_insert(lead_identities).values(
            identity=identity, lead_id=candidate_id, first_seen_at=now, last_seen_at=now
        )
        expired = lead_identities.c.last_seen_at < now - window
        stmt = insert_new.on_conflict_do_update(
            index_elements=["identity"],
            set_={
                "lead_id": case((expired, insert_new.excluded.lead_id), else_=lead_identities.c.lead_id),
                "first_seen_at": case(
                    (expired, insert_new.excluded.first_seen_at), else_=lead_identities.c.first_seen_at
                ),
                "last_seen_at": insert_new.excluded.last_seen_at,
            },
        ).returning(lead_identities.c.lead_id)
        return str(await self._session.scalar(stmt))


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


class IdempotencyRepository:
    """The first response to each Idempotency-Key."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, key: str, request_hash: str) -> dict[str, Any] | None:
        """Claim a key for this transaction; return the stored row when it was used before.

        A concurrent request with the same key waits on the insert until the first one commits.
        """
        claimed = await self._session.scalar(
            pg_insert(idempotency_keys)
            .values(key=key, request_hash=request_hash)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(idempotency_keys.c.key)
        )
        if claimed is not None:
            return None
        row = (
            (await self._session.execute(select(idempotency_keys).where(idempotency_keys.c.key == key)))
            .mappings()
            .one()
        )
        return dict(row)

    async def store(self, key: str, status_code: int, response: dict[str, Any]) -> None:
        """Remember the response given to a claimed key."""
        await self._session.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.key == key)
            .values(status_code=status_code, response=response)
        )
