"""Finding a returning person's earlier owners reads by index however large the tables are, even before
PostgreSQL has statistics on them (a new database, a bulk load): the handoffs table is never scanned whole."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.events.lead import Contact
from leadrelay.events.scoring import LeadScored, LeadSnapshot
from leadrelay.routing.adapters.repository import OWNERS_OF_PEOPLE
from leadrelay.routing.adapters.uow import PostgresRoutingUnitOfWork as RoutingUnitOfWork
from leadrelay.routing.bootstrap import MIGRATIONS
from leadrelay.routing.domain.handoff import Handoff, RoutedLead

LEADS = 20_000
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
async def sessions(open_database):
    return session_factory(await open_database("routing", MIGRATIONS))


def scored(lead_id: str) -> LeadScored:
    return LeadScored(
        lead_id=lead_id, score=80, fit=70, engagement=10, grade="A1", stage="sql", ruleset_version="test",
        source="referral", lead=LeadSnapshot(contact=Contact(email=f"{lead_id}@example.com")),
    )  # fmt: skip


def owner(i: int) -> str:
    return "pool:smb" if i % 10 == 0 else f"rep-{i % 7}"


def key_of(lead: str) -> str:
    return hashlib.sha256(lead.encode()).hexdigest()


async def test_earlier_owners_are_found_by_index_on_tables_without_statistics(sessions):
    leads = [str(uuid.uuid4()) for _ in range(LEADS)]
    async with RoutingUnitOfWork(sessions) as uow:
        for table in ("handoffs", "routed_leads"):  # no ANALYZE may run while the test looks at plans
            await uow.conn.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        await uow.leads.remember_many([RoutedLead(lead, scored(lead), key_of(lead)) for lead in leads], NOW)
        await uow.handoffs.add_many(
            [
                Handoff(
                    str(uuid.uuid4()), lead, 1, "smb", owner(i), NOW - timedelta(seconds=i), str(uuid.uuid4())
                )
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
