"""Storing decisions, handoffs, queue state, accounts and what routing keeps of each lead."""

from __future__ import annotations

import builtins
from dataclasses import fields
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from leadrelay.db.arrays import unnest_insert
from leadrelay.db.engine import json_text
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.adapters.orm import accounts, decisions, handoffs, routed_leads
from leadrelay.routing.domain.handoff import Account, DecisionRecord, Handoff, RoutedLead
from leadrelay.routing.domain.strategies import QueueState
from leadrelay.sla_policies import PolicySet

HANDOFF_FIELDS = tuple(f.name for f in fields(Handoff))
DECISION_FIELDS = tuple(f.name for f in fields(DecisionRecord))
# The routing consumer's statements run on the driver (prepared once per connection, rows bound as arrays):
# through SQLAlchemy, building and executing them cost more than the routing itself.
# Loads are read from the counters the handoffs trigger keeps (migration 0005), one row per rep whatever the
# history.
LOADS = """
SELECT reps.rep_id,
       coalesce((SELECT o.open FROM rep_open_loads AS o WHERE o.owner_id = reps.rep_id), 0),
       coalesce((SELECT sum(a.n) FROM rep_assignments AS a
                 WHERE a.owner_id = reps.rep_id AND a.bucket >= reps.day_start), 0)
FROM unnest($1::text[], $2::timestamptz[]) AS reps (rep_id, day_start)
"""
DECISION_COLUMNS = (
    ("trace_id", "text"),
    ("lead_id", "text"),
    ("handoff_id", "text"),
    ("attempt", "int"),
    ("handed_off", "boolean"),
    ("queue", "text"),
    ("owner_id", "text"),
    ("rule", "text"),
    ("strategy", "text"),
    ("stage", "text"),
    ("grade", "text"),
    ("score", "int"),
    ("due_at", "timestamptz"),
    ("trace", "jsonb"),
    ("decided_at", "timestamptz"),
)
NEW_HANDOFF_COLUMNS = (
    ("handoff_id", "text"),
    ("lead_id", "text"),
    ("attempt", "int"),
    ("queue", "text"),
    ("owner_id", "text"),
    ("assigned_at", "timestamptz"),
    ("trace_id", "text"),
    ("state", "text"),
)


CURRENT_SLA_POLICIES = "SELECT version, activated_at, document::text FROM sla_policies WHERE id = 1"
# Kept only when newer than the stored one: announcements may arrive again, or out of order.
ADOPT_SLA_POLICIES = """
INSERT INTO sla_policies (id, version, document, activated_at) VALUES (1, $1, $2::jsonb, $3)
ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document,
    activated_at = EXCLUDED.activated_at
WHERE sla_policies.activated_at < EXCLUDED.activated_at
RETURNING version
"""
ADD_DECISIONS = unnest_insert("decisions", DECISION_COLUMNS)
ADD_HANDOFFS = unnest_insert("handoffs", NEW_HANDOFF_COLUMNS)
# The lowest attempt comes last, so it is the one a dict keeps.
# ascending: each lead's row with the highest attempt is the one kept
LATEST_HANDOFFS = "SELECT * FROM handoffs WHERE lead_id = ANY($1::text[]) ORDER BY attempt"
LOCK_QUEUES = """
INSERT INTO queue_state (queue) SELECT q FROM unnest($1::text[]) AS q ORDER BY q
ON CONFLICT (queue) DO UPDATE SET queue = EXCLUDED.queue
RETURNING queue, cursor, credits
"""
SAVE_QUEUE = "UPDATE queue_state SET cursor = $2, credits = $3::jsonb WHERE queue = $1"
LOCK_REP = (
    "INSERT INTO rep_locks (rep_id) VALUES ($1) ON CONFLICT (rep_id) DO UPDATE SET rep_id = EXCLUDED.rep_id"
)
MATCHING_ACCOUNTS = "SELECT * FROM accounts WHERE domain = ANY($1::text[]) OR name_key = ANY($2::text[])"
REMEMBER_LEADS = """
INSERT INTO routed_leads (lead_id, scored, person_key, updated_at)
SELECT lead_id, scored, person_key, $4 FROM unnest($1::text[], $2::jsonb[], $3::text[]) AS r(lead_id, scored, person_key)
ON CONFLICT (lead_id) DO UPDATE SET
    scored = EXCLUDED.scored, person_key = EXCLUDED.person_key, updated_at = EXCLUDED.updated_at
"""
# Each key looks up its leads, and each lead its handoffs, by index. As a plain join, a table that had grown
# since it was last analysed (a new database, a bulk load) was planned as a hash join over every handoff: in a
# 60 s run at 200 leads/s, every routing batch read the whole handoffs table. OFFSET 0 keeps each lateral
# subquery from being flattened back into that join.
OWNERS_OF_PEOPLE = """
SELECT k.person_key, h.lead_id, h.owner_id
FROM unnest($1::text[]) AS k (person_key)
CROSS JOIN LATERAL (SELECT r.lead_id FROM routed_leads AS r WHERE r.person_key = k.person_key OFFSET 0) AS r
CROSS JOIN LATERAL (
    SELECT h.lead_id, h.owner_id, h.assigned_at FROM handoffs AS h
    WHERE h.lead_id = r.lead_id AND h.owner_id NOT LIKE 'pool:%' OFFSET 0
) AS h
ORDER BY h.assigned_at DESC
"""


def _account(row: Any) -> Account:  # an asyncpg Record or a SQLAlchemy row mapping
    return Account(name=row["name"], owner_id=row["owner_id"], domain=row["domain"])


class DecisionRepository:
    """Every routing decision with its trace."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def add_many(self, records: builtins.list[DecisionRecord]) -> None:
        """Record several decisions in one statement."""
        if records:
            await self._conn.execute(
                ADD_DECISIONS,
                *(
                    [json_text(r.trace) for r in records]
                    if c == "trace"
                    else [getattr(r, c) for r in records]
                    for c, _ in DECISION_COLUMNS
                ),
            )

    async def anonymise(self, lead_id: str) -> None:
        """Keep who got an erased lead and why by rule name, but drop the trace's field values."""
        await self._session.execute(
            update(decisions).where(decisions.c.lead_id == lead_id).values(trace={"erased": True})
        )

    async def for_lead(self, lead_id: str) -> builtins.list[DecisionRecord]:
        """Return a lead's decisions, oldest first."""
        rows = await self._session.execute(
            select(decisions).where(decisions.c.lead_id == lead_id).order_by(decisions.c.decided_at)
        )
        return [DecisionRecord(**r) for r in rows.mappings()]

    async def recent_handoffs(self, limit: int) -> builtins.list[DecisionRecord]:
        """Return the last `limit` first-attempt handoff decisions, oldest first (for backtests)."""
        rows = await self._session.execute(
            select(decisions)
            .where(decisions.c.handed_off.is_(True), decisions.c.attempt == 1)
            .order_by(decisions.c.decided_at.desc())
            .limit(limit)
        )
        return list(reversed([DecisionRecord(**r) for r in rows.mappings()]))


class HandoffRepository:
    """Handoffs and their state; open ones count against their owner's caps."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def add_many(self, new: builtins.list[Handoff]) -> None:
        """Record several new handoffs in one statement."""
        if new:
            await self._conn.execute(
                ADD_HANDOFFS, *([getattr(h, c) for h in new] for c, _ in NEW_HANDOFF_COLUMNS)
            )

    async def latest_of_leads(self, lead_ids: set[str]) -> dict[str, Handoff]:
        """Return each lead's latest handoff (its highest attempt), for the leads that have one."""
        if not lead_ids:
            return {}
        rows = await self._conn.fetch(LATEST_HANDOFFS, list(lead_ids))
        return {row["lead_id"]: Handoff(**{f: row[f] for f in HANDOFF_FIELDS}) for row in rows}

    async def get(self, handoff_id: str, lock: bool = False) -> Handoff | None:
        """Return one handoff (locked for the transaction when asked)."""
        query = select(handoffs).where(handoffs.c.handoff_id == handoff_id)
        row = (await self._session.execute(query.with_for_update() if lock else query)).mappings().first()
        return Handoff(**row) if row else None

    async def of_lead(self, lead_id: str) -> builtins.list[Handoff]:
        """Return the lead's handoffs, first attempt first."""
        rows = await self._session.execute(
            select(handoffs).where(handoffs.c.lead_id == lead_id).order_by(handoffs.c.attempt)
        )
        return [Handoff(**r) for r in rows.mappings()]

    async def save(self, handoff: Handoff) -> None:
        """Store what a handoff's own changes touch: its state, when it closed and why."""
        await self._session.execute(
            update(handoffs)
            .where(handoffs.c.handoff_id == handoff.handoff_id)
            .values(state=handoff.state, closed_at=handoff.closed_at, reason=handoff.reason)
        )

    async def loads(self, day_starts: dict[str, datetime]) -> dict[str, tuple[int, int]]:
        """Return (open handoffs, handoffs assigned since the rep's local day began) per rep id."""
        if not day_starts:
            return {}
        counts = dict.fromkeys(day_starts, (0, 0))
        for owner, open_count, today in await self._conn.fetch(
            LOADS, list(day_starts), list(day_starts.values())
        ):
            counts[owner] = (int(open_count), int(today))
        return counts


class QueueStateRepository:
    """Each queue's round-robin cursor and weighted credits, locked for the length of a decision."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def lock(self, queue: str) -> QueueState:
        """Return the queue's state, holding its row lock until commit (replicas take turns per queue)."""
        return (await self.lock_many([queue]))[queue]

    async def lock_many(self, queues: list[str]) -> dict[str, QueueState]:
        """Lock several queues' rows in name order (so batches never wait on each other in a cycle)."""
        # One round trip: an upsert that touches a row locks it, as SELECT ... FOR UPDATE would, and the rows
        # are taken in the SELECT's order.
        rows = await self._conn.fetch(LOCK_QUEUES, sorted(queues))
        return {queue: QueueState(cursor=cursor, credits=dict(credits)) for queue, cursor, credits in rows}

    async def save(self, queue: str, state: QueueState) -> None:
        """Store the queue's state."""
        await self._conn.execute(SAVE_QUEUE, queue, state.cursor, json_text(state.credits))

    async def lock_rep(self, rep_id: str) -> None:
        """Hold the rep's lock until commit: a rep in several queues is never assigned past a cap."""
        await self._conn.execute(LOCK_REP, rep_id)


class AccountRepository:
    """Known accounts (company name, email domain) and their owners."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def upsert(self, known: builtins.list[Account], now: datetime) -> int:
        """Insert or update accounts by name; return how many were written."""
        for account in known:
            stmt = pg_insert(accounts).values(
                name=account.name,
                name_key=account.name_key,
                domain=account.domain,
                owner_id=account.owner_id,
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
        return len(known)

    async def matching(self, domains: set[str], companies: set[str]) -> builtins.list[Account]:
        """Return the accounts whose domain or name is among those given (lower-cased, trimmed)."""
        if not domains and not companies:
            return []
        rows = await self._conn.fetch(
            MATCHING_ACCOUNTS,
            list({d.lower() for d in domains}),
            list({c.strip().lower() for c in companies}),
        )
        return [_account(r) for r in rows]

    async def all(self) -> builtins.list[Account]:
        """Return every account."""
        rows = await self._session.execute(select(accounts).order_by(accounts.c.name_key))
        return [_account(r) for r in rows.mappings()]

    async def count(self) -> int:
        """Return how many accounts are known."""
        return int(await self._session.scalar(select(func.count()).select_from(accounts)) or 0)


class RoutedLeadRepository:
    """The last LeadScored of each routed lead (to escalate it) and who it belongs to (returning people)."""

    def __init__(self, session: AsyncSession, conn: asyncpg.Connection) -> None:
        self._session = session
        self._conn = conn

    async def remember_many(self, leads: builtins.list[RoutedLead], now: datetime) -> None:
        """Store several leads' latest LeadScored (one per lead) and who they belong to."""
        if leads:
            await self._conn.execute(
                REMEMBER_LEADS,
                [lead.lead_id for lead in leads],
                [lead.scored.model_dump_json() for lead in leads],
                [lead.person_key for lead in leads],
                now,
            )

    async def owners_of_people(self, keys: set[str]) -> builtins.list[tuple[str, str, str]]:
        """Return (person key, lead id, owner id) of each person's leads' rep owners, latest first."""
        if not keys:
            return []
        return [
            (key, lead, owner) for key, lead, owner in await self._conn.fetch(OWNERS_OF_PEOPLE, list(keys))
        ]

    async def scored(self, lead_id: str) -> LeadScored | None:
        """Return the lead's latest LeadScored."""
        document = await self._session.scalar(
            select(routed_leads.c.scored).where(routed_leads.c.lead_id == lead_id)
        )
        return LeadScored.model_validate(document) if document is not None else None

    async def apply_consent(self, lead_id: str, marketing: bool) -> None:
        """Keep the person's current marketing consent in the lead routing hands off again on escalation."""
        await self._session.execute(
            text(
                "UPDATE routed_leads SET scored = jsonb_set(scored, '{lead,marketing_consent}', "
                "to_jsonb(CAST(:marketing AS boolean)), true) WHERE lead_id = :lead_id"
            ),
            {"marketing": marketing, "lead_id": lead_id},
        )

    async def forget(self, lead_id: str) -> None:
        """Delete what routing kept of an erased lead."""
        await self._session.execute(delete(routed_leads).where(routed_leads.c.lead_id == lead_id))


class SlaPolicyRepository:
    """The SLA monitor's active policies as routing last heard of them."""

    # Parsed once per activation, not per batch: every routing batch reads the row.
    _parsed: tuple[str, datetime, PolicySet] | None = None

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def current(self) -> PolicySet | None:
        """Return the newest policies heard of, or None before the first announcement."""
        row = await self._conn.fetchrow(CURRENT_SLA_POLICIES)
        if row is None:
            return None
        cached = SlaPolicyRepository._parsed
        if cached is None or cached[:2] != (row["version"], row["activated_at"]):
            cached = (row["version"], row["activated_at"], PolicySet.model_validate_json(row["document"]))
            SlaPolicyRepository._parsed = cached
        return cached[2]

    async def adopt(self, policies: PolicySet, activated_at: datetime) -> bool:
        """Keep these policies when they were activated after the stored ones; True when kept."""
        kept = await self._conn.fetchval(
            ADOPT_SLA_POLICIES, policies.version, policies.model_dump_json(), activated_at
        )
        return kept is not None
