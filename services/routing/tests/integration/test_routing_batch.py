"""A batch of scored leads handed off in one transaction decides exactly as one lead at a time would: caps
count the batch's own assignments, turns carry on, a re-score or a redelivery in the batch is not handed
off twice, and a returning person in the same batch gets the same owner."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import pytest

from leadrelay.db.engine import session_factory
from leadrelay.devkit.testing.plugin import rows
from leadrelay.events import Envelope, Topics, new_event
from leadrelay.events.lead import Company, Contact, LeadSnapshot
from leadrelay.events.scoring import LeadScored
from leadrelay.routing.adapters.config_file import load_config
from leadrelay.routing.adapters.uow import PostgresRoutingUnitOfWork as RoutingUnitOfWork
from leadrelay.routing.bootstrap import MIGRATIONS
from leadrelay.routing.domain.config import RoutingConfig
from leadrelay.routing.handlers import route_scored_leads
from leadrelay.routing.settings import SEED_CONFIG

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def scored(lead_id: str, *, stage: str = "sql", email: str | None = None, size: str = "1000+") -> Envelope:
    data = LeadScored(
        lead_id=lead_id,
        score=80,
        fit=70,
        engagement=10,
        grade="A1",
        stage=stage,
        ruleset_version="test",
        source="referral",
        lead=LeadSnapshot(
            contact=Contact(email=email or f"{lead_id}@example.com"), company=Company(size=size)
        ),
    )
    return new_event(data, source="leadrelay/scoring", subject=lead_id)


@pytest.fixture
async def routing_db(open_database):
    return await open_database("routing", MIGRATIONS)


async def test_a_batch_keeps_caps_turns_and_once_only_handoffs(routing_db):
    document = load_config(SEED_CONFIG).model_dump(mode="json")
    for rep in document["reps"]:
        rep["concurrent_cap"] = {"rep-ada": 2, "rep-grace": 1}.get(rep["id"])
    config = RoutingConfig.model_validate(document)
    sessions, topics = session_factory(routing_db), Topics()
    leads = [scored(f"lead-{i}") for i in range(1, 6)]
    rescored = scored("lead-1")  # a new score of a lead handed off earlier in the same batch
    batch = [*leads, leads[1], rescored, scored("nurture", stage="mql")]

    await route_scored_leads(batch, RoutingUnitOfWork(sessions), config, topics, NOW)
    await route_scored_leads([scored("lead-6")], RoutingUnitOfWork(sessions), config, topics, NOW)

    owners = dict(await rows(routing_db, "SELECT lead_id, owner_id FROM handoffs"))
    assert owners == {
        "lead-1": "rep-ada",
        "lead-2": "rep-grace",
        "lead-3": "rep-ada",  # grace is at her cap of 1
        "lead-4": "rep-alan",  # enterprise is full: the fallback queue, round robin from its start
        "lead-5": "rep-katherine",
        "lead-6": "rep-alan",  # the next call carries on smb's turns
    }
    open_per_rep = Counter(owners.values())
    assert open_per_rep["rep-ada"] == 2 and open_per_rep["rep-grace"] == 1
    recorded = await rows(routing_db, "SELECT lead_id, trace->>'why' FROM decisions WHERE NOT handed_off")
    assert sorted(recorded) == [
        ("lead-1", "already handed off to rep-ada in enterprise"),
        ("nurture", "stage mql is not handed off"),
    ]
    published = await rows(routing_db, "SELECT topic, key FROM outbox ORDER BY id")
    assert Counter(key for _, key in published) == dict.fromkeys(owners, 2)  # leads.qualified + the queue's


async def test_a_returning_person_in_the_same_batch_gets_the_same_owner(routing_db):
    config = load_config(SEED_CONFIG)
    sessions = session_factory(routing_db)
    first, again = scored("p-1", email="pat@example.com"), scored("p-2", email="Pat@Example.com ")
    other = scored("q-1")

    await route_scored_leads([first, other, again], RoutingUnitOfWork(sessions), config, Topics(), NOW)

    owners = dict(await rows(routing_db, "SELECT lead_id, owner_id FROM handoffs"))
    strategies = dict(await rows(routing_db, "SELECT lead_id, strategy FROM decisions"))
    assert owners["p-2"] == owners["p-1"] != owners["q-1"]
    assert strategies["p-2"] == "previous_owner"


async def test_concurrent_batches_that_reach_queues_in_opposite_orders_both_hand_off(routing_db):
    config = load_config(SEED_CONFIG)
    sessions = session_factory(routing_db)
    # large companies go to enterprise, the rest to smb: the two batches meet the queues in opposite orders
    first = [scored("e-1"), scored("s-1", size="1-10")]
    second = [scored("s-2", size="1-10"), scored("e-2")]

    await asyncio.wait_for(
        asyncio.gather(
            route_scored_leads(first, RoutingUnitOfWork(sessions), config, Topics(), NOW),
            route_scored_leads(second, RoutingUnitOfWork(sessions), config, Topics(), NOW),
        ),
        30,
    )

    queues = dict(await rows(routing_db, "SELECT lead_id, queue FROM handoffs"))
    assert queues == {"e-1": "enterprise", "e-2": "enterprise", "s-1": "smb", "s-2": "smb"}
