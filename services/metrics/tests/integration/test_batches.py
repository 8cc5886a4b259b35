"""Counting events in batches (one transaction each, as the consumer hands them over per topic) stores
exactly what counting them one at a time does, and a redelivered batch changes nothing."""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import text

from leadrelay.db.engine import session_factory
from leadrelay.events import EVENT_TYPES
from leadrelay.metrics.adapters.uow import PostgresMetricsUnitOfWork
from leadrelay.metrics.bootstrap import MIGRATIONS
from leadrelay.metrics.handlers import count_events

TABLES = {
    "funnel_counts": "day, step, stage, source, queue, count",
    "reasons": "day, kind, reason, count",
    "lead_timeline": "*",
    "lead_sources": "*",
    "feed": "event_id, at, kind, detail",
}


async def snapshot(engine) -> dict[str, list[tuple]]:
    async with engine.connect() as conn:
        return {
            table: sorted(map(tuple, await conn.execute(text(f"SELECT {columns} FROM {table}"))), key=repr)
            for table, columns in TABLES.items()
        }


async def test_batches_store_what_single_events_store(open_database, script):
    one_by_one = await open_database("metrics", MIGRATIONS)
    batched = await open_database("metrics", MIGRATIONS)
    for event in script:
        await count_events([event], PostgresMetricsUnitOfWork(session_factory(one_by_one)))
    by_topic = sorted(script, key=lambda e: EVENT_TYPES[e.type].topic)  # stable: each topic keeps its order
    runs = [list(run) for _, run in groupby(by_topic, key=lambda e: e.type)]
    assert max(map(len, runs)) > 1
    for run in runs:
        await count_events(run, PostgresMetricsUnitOfWork(session_factory(batched)))
    expected = await snapshot(one_by_one)
    assert expected["funnel_counts"] and expected["lead_timeline"] and expected["feed"]
    assert await snapshot(batched) == expected
    for run in runs:  # redelivered
        await count_events(run, PostgresMetricsUnitOfWork(session_factory(batched)))
    assert await snapshot(batched) == expected
