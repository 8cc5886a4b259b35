"""Storing decisions, handoffs, queue state, accounts and what routing keeps of each lead."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.routing.adapters.orm import accounts, decisions, handoffs, queue_state, rep_locks, routed_leads
from leadrelay.routing.domain.strategies import QueueState

OPEN_STATES = ("open", "accepted")
# Read from the counters the handoffs trigger keeps (migration 0005), one row per rep whatever the history.
_LOADS = text(
    """
    SELECT reps.rep_id,
           coalesce((SELECT o.open FROM rep_open_loads AS o WHERE o.owner_id = reps.rep_id), 0),
           coalesce((SELECT sum(a.n) FROM rep_assignments AS a
                     WHERE a.owner_id = reps.rep_id AND a.bucket >= reps.day_start), 0)
    FROM unnest(CAST(:rep_ids AS varchar[]), CAST(:day_starts AS timestamptz[])) AS reps (rep_id, day_start)
    """
)


def person_key(email: str | None) -> str | None:
    """Return the key that recognises a returning person without storing the email twice."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest() if email else None


class DecisionRepository:
    """Every routing decision with its trace."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Record several decisions in one statement (absent columns are NULL)."""
        if rows:
            await self._session.execute(
                insert(decisions), [{c.name: row.get(c.name) for c in decisions.c} for row in rows]
            )

    async def anonymise(self, lead_id: str) -> None:
        """Keep who got an erased lead and why by rule name, but drop the trace's field values."""
        await self._session.execute(
            update(decisions).where(decisions.c.lead_id == lead_id).values(trace={"erased": True})
        )

    async def for_lead(self, lead_id: str) -> list[dict[str, Any]]:
        """Return a lead's decisions, oldest first."""
        rows = await self._session.execute(
            select(decisions).where(decisions.c.lead_id == lead_id).order_by(decisions.c.decided_at)
        )
        return [dict(r) for r in rows.mappings()]

    async def recent_handoffs(self, limit: int) -> list[dict[str, Any]]:
        """Return the last `limit` first-attempt handoff decisions, oldest first (for backtests)."""
        rows = await self._session.execute(
            select(decisions)
            .where(decisions.c.handed_off.is_(True), decisions.c.attempt == 1)
            .order_by(decisions.c.decided_at.desc())
            .limit(limit)
        )
        return list(reversed([dict(r) for r in rows.mappings()]))


class HandoffRepository:
    """Handoffs and their state; open ones count against their owner's caps."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_many(self, rows: list[dict[str, Any]]) -> None:
        """Record several new handoffs (open) in one statement."""
        if rows:
            await self._session.execute(insert(handoffs), [{"state": "open", **row} for row in rows])

    async def first_of_leads(self, lead_ids: set[str]) -> dict[str, dict[str, Any]]:
        """Return each lead's first handoff, for the leads that have one."""
        if not lead_ids:
            return {}
        rows = await self._session.execute(
            select(handoffs).where(handoffs.c.lead_id.in_(lead_ids)).order_by(handoffs.c.attempt.desc())
        )
        return {row["lead_id"]: dict(row) for row in rows.mappings()}  # the lowest attempt is written last

    async def get(self, handoff_id: str, lock: bool = False) -> dict[str, Any] | None:
        """Return one handoff (locked for the transaction when asked)."""
        query = select(handoffs).where(handoffs.c.handoff_id == handoff_id)
        row = (await self._session.execute(query.with_for_update() if lock else query)).mappings().first()
        return dict(row) if row else None

    async def of_lead(self, lead_id: str) -> list[dict[str, Any]]:
        """Return the lead's handoffs, first attempt first."""
        rows = await self._session.execute(
            select(handoffs).where(handoffs.c.lead_id == lead_id).order_by(handoffs.c.attempt)
        )
        return [dict(r) for r in rows.mappings()]

    async def move(self, handoff_id: str, to: str, now: datetime, reason: str | None = None) -> None:
        """Set a handoff's state; leaving the open states closes it."""
        values: dict[str, Any] = {"state": to}
        if to not in OPEN_STATES:
            values["closed_at"] = now
        if reason is not None:
            values["reason"] = reason
        await self._session.execute(
            update(handoffs).where(handoffs.c.handoff_id == handoff_id).values(**values)
        )

    async def close_lead(self, lead_id: str, now: datetime, reason: str) -> None:
        """Close the lead's open handoffs (an outcome arrived)."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.lead_id == lead_id, handoffs.c.state.in_(OPEN_STATES))
            .values(state="closed", closed_at=now, reason=reason)
        )

    async def loads(self, day_starts: dict[str, datetime]) -> dict[str, tuple[int, int]]:
        """Return (open handoffs, handoffs assigned since the rep's local day began) per rep id."""
        if not day_starts:
            return {}
        # The reps arrive as two arrays, so the statement is compiled once (a VALUES list would be compiled for
        # every call).
        rows = await self._session.execute(
            _LOADS, {"rep_ids": list(day_starts), "day_starts": list(day_starts.values())}
        )
        counts = dict.fromkeys(day_starts, (0, 0))
        for owner, open_count, today in rows:
            counts[owner] = (int(open_count), int(today))
        return counts


class QueueStateRepository:
    """Each queue's round-robin cursor and weighted credits, locked for the length of a decision."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock(self, queue: str) -> QueueState:
        """Return the queue's state, holding its row lock until commit (replicas take turns per queue)."""
        # One round trip: an upsert that touches the row locks it, as SELECT ... FOR UPDATE would.
        statement = pg_insert(queue_state).values(queue=queue)
        row = (
            await self._session.execute(
                statement.on_conflict_do_update(
                    index_elements=[queue_state.c.queue], set_={"queue": statement.excluded.queue}
                ).returning(queue_state.c.cursor, queue_state.c.credits)
            )
        ).one()
        return QueueState(cursor=row.cursor, credits=dict(row.credits))

    async def save(self, queue: str, state: QueueState) -> None:
        """Store the queue's state."""
        await self._session.execute(
            update(queue_state)
            .where(queue_state.c.queue == queue)
            .values(cursor=state.cursor, credits=state.credits)
        )

    async def lock_rep(self, rep_id: str) -> None:
        """Hold the rep's lock until commit: a rep in several queues is never assigned past a cap."""
        statement = pg_insert(rep_locks).values(rep_id=rep_id)
        await self._session.execute(
            statement.on_conflict_do_update(
                index_elements=[rep_locks.c.rep_id], set_={"rep_id": statement.excluded.rep_id}
            )
        )


class AccountRepository:
    """Known accounts (company name, email domain) and their owners."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def upsert(self, rows: list[dict[str, Any]], now: datetime) -> int:
        """Insert or update accounts by name; return how many were written."""
        for row in rows:
            stmt = pg_insert(accounts).values(
                name=row["name"],
                name_key=row["name"].strip().lower(),
                domain=row.get("domain"),
                owner_id=row["owner_id"],
                updated_at=now,
            )
            await self._session.execute(
                stmt.on_conflict_do_update(
                    index_elements=["name_key"],
                    set_={
                        "name": stmt.excluded.name,
                        "domain": stmt.excluded.domain,
                        "owner_id": stmt.excluded.owner_id,
                        "updated_at": now,
                    },
                )
            )
        return len(rows)

    async def matching(self, domains: set[str], companies: set[str]) -> list[dict[str, Any]]:
        """Return the accounts whose domain or name is among those given (lower-cased, trimmed)."""
        tests = []
        if domains:
            tests.append(accounts.c.domain.in_({d.lower() for d in domains}))
        if companies:
            tests.append(accounts.c.name_key.in_({c.strip().lower() for c in companies}))
        if not tests:
            return []
        return [
            dict(r) for r in (await self._session.execute(select(accounts).where(or_(*tests)))).mappings()
        ]

    async def all(self) -> list[dict[str, Any]]:
        """Return every account."""
        rows = await self._session.execute(select(accounts).order_by(accounts.c.name_key))
        return [dict(r) for r in rows.mappings()]

    async def count(self) -> int:
        """Return how many accounts are known."""
        return int(await self._session.scalar(select(func.count()).select_from(accounts)) or 0)


class RoutedLeadRepository:
    """The last LeadScored of each routed lead (to escalate it) and who it belongs to (returning people)."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember_many(self, rows: list[dict[str, Any]], now: datetime) -> None:
        """Store several leads' latest scored data (rows: lead_id, scored, person_key; one per lead)."""
        if not rows:
            return
        stmt = pg_insert(routed_leads)
        stmt = stmt.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                "scored": stmt.excluded.scored,
                "person_key": stmt.excluded.person_key,
                "updated_at": stmt.excluded.updated_at,
            },
        )
        await self._session.execute(stmt, [{**row, "updated_at": now} for row in rows])

    async def owners_of_people(self, keys: set[str]) -> list[tuple[str, str, str]]:
        """Return (person key, lead id, owner id) of each person's leads' rep owners, latest first."""
        if not keys:
            return []
        rows = await self._session.execute(
            select(routed_leads.c.person_key, handoffs.c.lead_id, handoffs.c.owner_id)
            .join(routed_leads, routed_leads.c.lead_id == handoffs.c.lead_id)
            .where(routed_leads.c.person_key.in_(keys), ~handoffs.c.owner_id.like("pool:%"))
            .order_by(handoffs.c.assigned_at.desc())
        )
        return [(key, lead, owner) for key, lead, owner in rows]

    async def scored(self, lead_id: str) -> dict[str, Any] | None:
        """Return the lead's latest scored data."""
        return await self._session.scalar(
            select(routed_leads.c.scored).where(routed_leads.c.lead_id == lead_id)
        )

    async def forget(self, lead_id: str) -> None:
        """Delete what routing kept of an erased lead."""
        await self._session.execute(delete(routed_leads).where(routed_leads.c.lead_id == lead_id))
