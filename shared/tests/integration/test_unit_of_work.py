"""The unit of work: the driver's statements and the session's share one transaction, and the pool stays clean;
every connection plans each statement for its own parameters."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text

from leadrelay.db.relay import OutboxRelay
from leadrelay.events import new_event
from leadrelay.events.lead import LeadErased
from leadrelay.kafka.producer import SafeProducer


async def _write_both_ways(uow, items, prefix: str) -> None:
    await uow.session.execute(insert(items).values(id=f"{prefix}-session"))
    await uow.conn.execute("INSERT INTO items (id) VALUES ($1)", f"{prefix}-driver")
    event = new_event(LeadErased(lead_id=f"{prefix}-lead"), source="test", subject=f"{prefix}-lead")
    assert await uow.inbox.claim(event)
    uow.outbox.add(event, "topic")


async def _count(engine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar_one())


async def test_the_session_and_the_driver_commit_together(messaging_db):
    async with messaging_db.uow() as uow:
        await _write_both_ways(uow, messaging_db.items, "a")
        await uow.commit()

    assert await messaging_db.item_ids() == ["a-driver", "a-session"]
    assert await _count(messaging_db.engine, "SELECT count(*) FROM inbox") == 1
    assert await _count(messaging_db.engine, "SELECT count(*) FROM outbox") == 1


async def test_without_commit_neither_the_session_nor_the_driver_keeps_anything(messaging_db):
    async with messaging_db.uow() as uow:
        await _write_both_ways(uow, messaging_db.items, "b")
    with pytest.raises(RuntimeError):
        async with messaging_db.uow() as uow:
            await _write_both_ways(uow, messaging_db.items, "c")
            raise RuntimeError("handler failed")

    assert await messaging_db.item_ids() == []
    assert await _count(messaging_db.engine, "SELECT count(*) FROM inbox") == 0
    assert await _count(messaging_db.engine, "SELECT count(*) FROM outbox") == 0


async def test_a_failed_statement_rolls_back_and_the_next_unit_of_work_starts_clean(messaging_db):
    with pytest.raises(Exception, match="duplicate key"):
        async with messaging_db.uow() as uow:
            await uow.conn.execute("INSERT INTO items (id) VALUES ('dup')")
            await uow.conn.execute("INSERT INTO items (id) VALUES ('dup')")
    async with messaging_db.uow() as uow:
        await uow.session.execute(insert(messaging_db.items).values(id="after"))
        await uow.commit()

    assert await messaging_db.item_ids() == ["after"]


async def test_connections_go_back_to_the_pool_in_transaction_mode(messaging_db):
    """The session's AUTOCOMMIT mode ends with the unit of work: plain engine use is transactional again."""
    for _ in range(3):  # every pooled connection has been through a unit of work
        async with messaging_db.uow() as uow:
            await uow.commit()
    async with messaging_db.engine.connect() as conn:
        await conn.execute(insert(messaging_db.items).values(id="rolled-back"))
        await conn.rollback()
    async with messaging_db.sessions() as session:
        await session.execute(insert(messaging_db.items).values(id="never-committed"))

    assert await messaging_db.item_ids() == []


async def test_every_connection_plans_statements_for_their_own_parameters(messaging_db, kafka_settings):
    """A generic plan of a hot `= ANY($1)` statement, chosen while a table was small, stayed a sequential scan."""
    relay = OutboxRelay(
        messaging_db.engine, messaging_db.outbox, SafeProducer(kafka_settings, "test"), "test"
    )
    try:
        async with messaging_db.uow() as uow:
            assert await uow.conn.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
        relay_conn = await relay._leader_connection()
        assert relay_conn is not None
        assert await relay_conn.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
    finally:
        await relay.close()
