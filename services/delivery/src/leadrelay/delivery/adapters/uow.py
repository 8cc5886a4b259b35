"""The consumer's unit of work: its inbox, the handoffs filters match on, the active subscriptions and the
deliveries it plans, all in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrelay.db.uow import UnitOfWork
from leadrelay.delivery.adapters.orm import (
    deliveries,
    handoffs,
    inbox,
    outbox,
    outcome_receipts,
    subscriptions,
)
from leadrelay.delivery.domain.subscriptions import HandoffFacts, SubscriptionSpec


class Handoffs:
    """The handoffs later events are matched against."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, handoff_id: str, facts: HandoffFacts) -> None:
        row = {"handoff_id": handoff_id, **facts.model_dump()}
        statement = insert(handoffs).values(row)
        await self._session.execute(
            statement.on_conflict_do_update(index_elements=["handoff_id"], set_=facts.model_dump())
        )

    async def facts(self, handoff_ids: Iterable[str]) -> dict[str, HandoffFacts]:
        rows = await self._session.execute(
            select(handoffs).where(handoffs.c.handoff_id.in_(list(handoff_ids)))
        )
        return {r.handoff_id: HandoffFacts(queue=r.queue, owner_id=r.owner_id, grade=r.grade) for r in rows}


class ActiveSubscriptions:
    """The subscriptions that receive events now."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def all(self) -> list[tuple[str, SubscriptionSpec]]:
        rows = await self._session.execute(
            select(subscriptions.c.id, subscriptions.c.spec).where(subscriptions.c.state == "active")
        )
        return [(r.id, SubscriptionSpec.model_validate(r.spec)) for r in rows]


class PlannedDeliveries:
    """Deliveries written in the consumer's transaction: the outbox of HTTP."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, rows: Sequence[dict[str, Any]]) -> None:
        if rows:
            await self._session.execute(
                insert(deliveries)
                .values(list(rows))
                .on_conflict_do_nothing(constraint="deliveries_one_per_event")
            )

    async def erase(self, lead_id: str, now: datetime) -> None:
        await self._session.execute(
            update(deliveries)
            .where(deliveries.c.lead_id == lead_id, deliveries.c.status == "pending")
            .values(status="failed", last_error="the lead was erased", next_attempt_at=None, finished_at=now)
        )
        await self._session.execute(update(deliveries).where(deliveries.c.lead_id == lead_id).values(body=""))


class OutcomeReceipts:
    """The CRM ids of outcomes already turned into events."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, rows: Sequence[dict[str, Any]]) -> set[str]:
        """Record receipts; return the CRM ids seen for the first time."""
        claimed = await self._session.execute(
            insert(outcome_receipts)
            .values(list(rows))
            .on_conflict_do_nothing()
            .returning(outcome_receipts.c.crm_id)
        )
        return set(claimed.scalars())


class DeliveryUnitOfWork(UnitOfWork):
    """One transaction of the delivery consumer."""

    handoffs: Handoffs
    subscriptions: ActiveSubscriptions
    deliveries: PlannedDeliveries
    outcomes: OutcomeReceipts

    def __init__(self, sessions: async_sessionmaker) -> None:
        super().__init__(sessions, outbox, inbox)

    def _open_repositories(self) -> None:
        self.handoffs = Handoffs(self.session)
        self.subscriptions = ActiveSubscriptions(self.session)
        self.deliveries = PlannedDeliveries(self.session)
        self.outcomes = OutcomeReceipts(self.session)
