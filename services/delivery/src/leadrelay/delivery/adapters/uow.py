"""The consumer's unit of work: its inbox, the handoffs filters match on, the active subscriptions and the
deliveries it plans, all in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leadrelay.db.arrays import unnest_insert
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

    _REMEMBER = unnest_insert(
        "handoffs",
        [
            ("handoff_id", "text"),
            ("queue", "text"),
            ("owner_id", "text"),
            ("grade", "text"),
            ("lead_id", "text"),
            ("people", "jsonb"),
        ],
        then="ON CONFLICT (handoff_id) DO UPDATE SET queue = excluded.queue, owner_id = excluded.owner_id, "
        "grade = excluded.grade, lead_id = excluded.lead_id, people = excluded.people",
    )
    _PEOPLE = ("owner", "manager", "lead_name", "lead_company")

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def remember(self, handoffs_seen: dict[str, HandoffFacts], lead_ids: dict[str, str]) -> None:
        """Keep what each handoff's LeadQualified said (one statement for a batch, on the driver)."""
        if handoffs_seen:
            facts = list(handoffs_seen.values())
            await self._conn.execute(
                self._REMEMBER,
                list(handoffs_seen),
                [f.queue for f in facts],
                [f.owner_id for f in facts],
                [f.grade for f in facts],
                [lead_ids.get(h) for h in handoffs_seen],
                [f.model_dump_json(include=set(self._PEOPLE)) for f in facts],
            )

    async def facts(self, handoff_ids: Iterable[str]) -> dict[str, HandoffFacts]:
        rows = await self._session.execute(
            select(handoffs).where(handoffs.c.handoff_id.in_(list(handoff_ids)))
        )
        return {
            r.handoff_id: HandoffFacts(queue=r.queue, owner_id=r.owner_id, grade=r.grade, **(r.people or {}))
            for r in rows
        }

    async def forget_lead(self, lead_id: str) -> None:
        """An erased lead's name and company are no longer kept with its handoffs."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.lead_id == lead_id)
            .values(people=handoffs.c.people.op("-")("lead_name").op("-")("lead_company"))
        )


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

    _ADD = unnest_insert(
        "deliveries",
        [
            ("subscription_id", "text"),
            ("channel", "text"),
            ("recipient", "text"),
            ("event_id", "text"),
            ("event_type", "text"),
            ("lead_id", "text"),
            ("webhook_id", "text"),
            ("body", "text"),
            ("created_at", "timestamptz"),
        ],
        constants={"status": "'pending'", "next_attempt_at": "now()"},
        then="ON CONFLICT DO NOTHING",  # a redelivered event: its subscription's or person's row is there
    )

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def add(self, rows: Sequence[dict[str, Any]]) -> None:
        """Plan deliveries, due now (one statement for a batch, on the driver)."""
        if rows:
            columns = (
                "subscription_id",
                "channel",
                "recipient",
                "event_id",
                "event_type",
                "lead_id",
                "webhook_id",
                "body",
                "created_at",
            )
            await self._conn.execute(self._ADD, *([row[c] for row in rows] for c in columns))

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
        self.handoffs = Handoffs(self.session, self.conn)
        self.subscriptions = ActiveSubscriptions(self.session)
        self.deliveries = PlannedDeliveries(self.session, self.conn)
        self.outcomes = OutcomeReceipts(self.session)
