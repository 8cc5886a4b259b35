"""Finding a returning person's earlier owners reads by index however large the tables are, even before
PostgreSQL has statistics on them (a new database, a bulk load): the handoffs table is never scanned whole."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.routing.adapters.repository import OWNERS_OF_PEOPLE
from leadrelay.routing.adapters.uow import RoutingUnitOfWork
from leadrelay.routing.bootstrap import MIGRATIONS

LEADS = 20_000
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(open_database):
    return session_factory(await open_database("routing", MIGRATIONS))


def key_of(lead: str) -> str:
    return hashlib.sha256(lead.encode()).hexdigest()


async def test_earlier_owners_are_found_by_index_on_tables_without_statistics(sessions):
    leads = [str(uuid.uuid4()) for _ in range(LEADS)]
    async with RoutingUnitOfWork(sessions) as uow:
        for table in ("handoffs", "routed_leads"):  # no ANALYZE may run while the test looks at plans
            await uow.conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        await uow.leads.remember_many(
            [{"lead_id": lead, "scored": {}, "person_key": key_of(lead)} for lead in leads], NOW
        )
        await uow.handoffs.add_many(
            [
                {
                    "handoff_id": str(uuid.uuid4()),
                    "lead_id": lead,
                    "attempt": 1,
                    "queue": "smb",
                    "owner_id": "pool:smb" if i % 10 == 0 else f"rep-{i % 7}",
                    "assigned_at": NOW - timedelta(seconds=i),
                    "trace_id": str(uuid.uuid4()),
                }
                for i, lead in enumerate(leads)
            ]
        )
        await uow.commit()
    asked = [leads[i] for i in (0, 1, 2, 5, 9_999)]
    async with RoutingUnitOfWork(sessions) as uow:
        found = await uow.leads.owners_of_people({key_of(lead) for lead in asked})
        for keys in (1, 20):
            plan = "\n".join(
                row[0]
                for row in await uow.conn.fetch(
                    f"EXPLAIN {OWNERS_OF_PEOPLE}", [key_of(x) for x in leads[:keys]]
                )
            )
            assert "Seq Scan" not in plan, plan
    # pool owners are not owners; the latest assignment comes first
    assert found == [(key_of(leads[i]), leads[i], f"rep-{i % 7}") for i in (1, 2, 5, 9_999)]
