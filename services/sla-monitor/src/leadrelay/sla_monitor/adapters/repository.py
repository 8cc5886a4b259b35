"""Storing follow-up clocks; deadlines are claimed by database time."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import asyncpg
from sqlalchemy import and_, case, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.db.arrays import unnest_insert
from leadrelay.sla_monitor.adapters.orm import handoffs
from leadrelay.sla_monitor.domain.clock import Clock, Compliance, DueClock, NewClock

# The consumer's statements run on the driver (prepared once per connection, rows bound as arrays).
CLOCK_COLUMNS = (
    ("handoff_id", "text"),
    ("lead_id", "text"),
    ("owner_id", "text"),
    ("queue", "text"),
    ("attempt", "int"),
    ("grade", "text"),
    ("policy", "text"),
    ("due_at", "timestamptz"),
    ("warn_at", "timestamptz"),
    ("handed_off_at", "timestamptz"),
    ("captured_at", "timestamptz"),
)
START_CLOCKS = unnest_insert(
    "handoffs",
    CLOCK_COLUMNS,
    constants={"state": "'open'"},
    then="ON CONFLICT (handoff_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c, _ in CLOCK_COLUMNS[1:])
    + " WHERE handoffs.due_at IS NULL",
)


class PostgresClocks:
    """Handoff clocks in the SLA monitor's database."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def start_many(self, clocks: Sequence[NewClock]) -> None:
        """Start clocks; a row a contact made early keeps its state and gains the handoff's details."""
        if clocks:
            await self._conn.execute(
                START_CLOCKS, *([getattr(clock, c) for clock in clocks] for c, _ in CLOCK_COLUMNS)
            )

    async def contacted_early(
        self,
        handoff_id: str,
        at: datetime,
        channel: str,
        lead_id: str,
        owner_id: str | None = None,
    ) -> bool:
        """Record a sales tool's LeadContacted that arrived before its handoff; return False when the handoff
        already exists (the tool announced the contact itself, so nothing waits to be announced)."""
        result = await self._session.execute(
            insert(handoffs)
            .values(
                handoff_id=handoff_id,
                lead_id=lead_id,
                owner_id=owner_id,
                state="contacted",
                contacted_at=at,
                contact_channel=channel,
            )
            .on_conflict_do_nothing(index_elements=["handoff_id"])
            .returning(handoffs.c.handoff_id)
        )
        return result.first() is not None

    async def rejected_early(
        self, handoff_id: str, at: datetime, lead_id: str, owner_id: str | None = None
    ) -> bool:
        """Record a rejection that arrived before its handoff (its clock never runs); False when the handoff
        exists."""
        result = await self._session.execute(
            insert(handoffs)
            .values(
                handoff_id=handoff_id, lead_id=lead_id, owner_id=owner_id, state="rejected", rejected_at=at
            )
            .on_conflict_do_nothing(index_elements=["handoff_id"])
            .returning(handoffs.c.handoff_id)
        )
        return result.first() is not None

    async def get(self, handoff_id: str, lock: bool = False) -> Clock | None:
        """Return one handoff's clock, optionally locking its row until the transaction ends."""
        stmt = select(handoffs).where(handoffs.c.handoff_id == handoff_id)
        if lock:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).mappings().first()
        return Clock(**row) if row else None

    async def save(self, clock: Clock) -> None:
        """Store what a clock's own changes touch: its state, deadline, warning, contact, callback, rejection."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.handoff_id == clock.handoff_id)
            .values(
                state=clock.state,
                due_at=clock.due_at,
                warn_at=clock.warn_at,
                contacted_at=clock.contacted_at,
                contact_channel=clock.contact_channel,
                callback_at=clock.callback_at,
                rejected_at=clock.rejected_at,
            )
        )

    async def replace_earlier(self, lead_id: str, attempt: int) -> None:
        """Close the open clocks of the lead's earlier attempts: the new attempt's clock replaces them."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.lead_id == lead_id, handoffs.c.attempt < attempt, handoffs.c.state == "open")
            .values(state="replaced", replaced_at=func.now())
        )

    async def claim_warnings(self, limit: int, at: datetime | None = None) -> list[DueClock]:
        """Lock open, unwarned clocks whose warning time passed by database time (or `at`, in tests)."""
        rows = await self._session.execute(
            text(
                "SELECT handoff_id, lead_id, owner_id, queue, attempt, due_at, "
                "COALESCE(CAST(:at AS timestamptz), now()) AS claimed_at "
                "FROM handoffs WHERE state = 'open' AND warned_at IS NULL AND warn_at IS NOT NULL "
                "AND warn_at <= COALESCE(CAST(:at AS timestamptz), now()) "
                "ORDER BY warn_at LIMIT :limit FOR UPDATE SKIP LOCKED"
            ),
            {"limit": limit, "at": at},
        )
        return [DueClock(**r) for r in rows.mappings()]

    async def mark_warned(self, handoff_ids: list[str], at: datetime) -> None:
        """Note that these clocks' warnings are queued."""
        await self._session.execute(
            update(handoffs).where(handoffs.c.handoff_id.in_(handoff_ids)).values(warned_at=at)
        )

    async def claim_due(self, limit: int, at: datetime | None = None) -> list[DueClock]:
        """Lock open clocks whose deadline passed by database time (or `at`, in tests); replicas skip them."""
        rows = await self._session.execute(
            text(
                "SELECT handoff_id, lead_id, owner_id, queue, attempt, due_at, "
                "COALESCE(CAST(:at AS timestamptz), now()) AS claimed_at "
                "FROM handoffs WHERE state = 'open' AND due_at <= COALESCE(CAST(:at AS timestamptz), now()) "
                "ORDER BY due_at LIMIT :limit FOR UPDATE SKIP LOCKED"
            ),
            {"limit": limit, "at": at},
        )
        return [DueClock(**r) for r in rows.mappings()]

    async def mark_breached(self, handoff_ids: list[str], at: datetime) -> None:
        """Mark clocks breached at the claim's time."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.handoff_id.in_(handoff_ids))
            .values(state="breached", breached_at=at)
        )

    async def erase_lead(self, lead_id: str) -> None:
        """Stop an erased lead's open clocks and unlink its handoffs from it (compliance still counts them)."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.lead_id == lead_id)
            .values(
                state=case((handoffs.c.state == "open", "erased"), else_=handoffs.c.state),
                lead_id=None,
            )
        )

    async def list(
        self,
        state: str | None,
        limit: int,
        queue: str | None = None,
        owner: str | None = None,
        overdue: bool | None = None,
        within: frozenset[str] | None = None,
    ) -> builtins.list[Clock]:
        """Return handoffs, soonest deadline first, filtered by state, queue, owner, being overdue and (within)
        a set of queues."""
        stmt = select(handoffs).order_by(handoffs.c.due_at).limit(limit)
        if state:
            stmt = stmt.where(handoffs.c.state == state)
        if queue:
            stmt = stmt.where(handoffs.c.queue == queue)
        if within is not None:
            stmt = stmt.where(handoffs.c.queue.in_(sorted(within)))
        if owner:
            stmt = stmt.where(handoffs.c.owner_id == owner)
        if overdue is not None:
            late = or_(
                handoffs.c.state == "breached",
                and_(handoffs.c.state == "open", handoffs.c.due_at < func.now()),
            )
            stmt = stmt.where(late if overdue else ~late)
        return [Clock(**r) for r in (await self._session.execute(stmt)).mappings()]

    async def compliance(self, by: Literal["owner", "queue"], since: datetime) -> builtins.list[Compliance]:
        """Per owner or queue since a time: handoffs decided (contacted or breached), on time, rejected (neither),
        compliance,
        and p50/p95 of routing time (capture to handoff) and rep time (handoff to first contact)."""
        column = handoffs.c.owner_id if by == "owner" else handoffs.c.queue
        rep_time = func.extract("epoch", handoffs.c.contacted_at - handoffs.c.handed_off_at)
        routing_time = func.extract("epoch", handoffs.c.handed_off_at - handoffs.c.captured_at)
        on_time = and_(handoffs.c.contacted_at.is_not(None), handoffs.c.contacted_at <= handoffs.c.due_at)
        decided = or_(handoffs.c.contacted_at.is_not(None), handoffs.c.state == "breached")
        stmt = (
            select(
                column.label("group"),
                func.count().label("handoffs"),
                func.count().filter(decided).label("decided"),
                func.count().filter(on_time).label("on_time"),
                func.count().filter(handoffs.c.state == "breached").label("breached"),
                func.count().filter(handoffs.c.state == "rejected").label("rejected"),
                func.percentile_cont(0.5).within_group(rep_time).label("rep_time_p50_s"),
                func.percentile_cont(0.95).within_group(rep_time).label("rep_time_p95_s"),
                func.percentile_cont(0.5).within_group(routing_time).label("routing_time_p50_s"),
                func.percentile_cont(0.95).within_group(routing_time).label("routing_time_p95_s"),
            )
            .where(handoffs.c.handed_off_at >= since, handoffs.c.state != "replaced")
            .group_by(column)
            .order_by(column)
        )
        return [Compliance(**r) for r in (await self._session.execute(stmt)).mappings()]
