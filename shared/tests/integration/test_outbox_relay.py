"""The outbox relay publishes committed rows in order, wakes on NOTIFY, and waits out a missing broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from sqlalchemy import text

from leadrelay.db.relay import OutboxRelay
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.infra.resolve import local_broker
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import new_event
from leadrelay.events.lead import LeadErased
from leadrelay.kafka.admin import ensure_topics
from leadrelay.kafka.producer import SafeProducer
from leadrelay.settings import KafkaSettings


async def add_events(db, topic: str, keys: list[str], per_key: int) -> None:
    async with db.uow() as uow:
        for i in range(per_key):
            for key in keys:
                uow.outbox.add(new_event(LeadErased(lead_id=f"{key}:{i}"), source="test", subject=key), topic)
        await uow.commit()


async def unsent(db) -> int:
    async with db.engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM outbox WHERE sent_at IS NULL")))


async def test_rows_are_published_in_order_per_key_and_marked_sent(messaging_db, kafka_settings):
    topic = kafka_settings.topics.erased
    keys = [f"lead-{i}" for i in range(5)]
    await add_events(messaging_db, topic, keys, per_key=20)
    producer = SafeProducer(kafka_settings, "test")
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, producer, "test", batch_size=30)
    while await relay.publish_batch():
        pass
    await relay.close()
    await producer.stop()
    assert await unsent(messaging_db) == 0
    async with TopicReader(kafka_settings.bootstrap_servers, topic) as reader:
        messages = await reader.wait_for(100)
    for key in keys:
        sequence = [int(m.json()["data"]["lead_id"].split(":")[1]) for m in messages if m.key == key]
        assert sequence == list(range(20)), f"{key} out of order: {sequence}"


async def test_one_relay_per_database_publishes_until_its_connection_goes(messaging_db, kafka_settings):
    topic = kafka_settings.topics.erased
    producer = SafeProducer(kafka_settings, "test")
    first = OutboxRelay(messaging_db.engine, messaging_db.outbox, producer, "first")
    second = OutboxRelay(messaging_db.engine, messaging_db.outbox, producer, "second")
    try:
        await add_events(messaging_db, topic, ["a"], per_key=2)
        assert await first.publish_batch() == 2
        await add_events(messaging_db, topic, ["a"], per_key=2)
        assert await second.publish_batch() == 0  # the first relay holds the lock between its passes
        assert await unsent(messaging_db) == 2
        async with messaging_db.engine.connect() as conn:  # the first relay's connection dies
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = :key AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                {"key": 0x6C656164},
            )
        await wait_until(lambda: second.publish_batch(), timeout_s=10)  # the lock is free again
        assert await unsent(messaging_db) == 0
        with contextlib.suppress(Exception):
            await first.publish_batch()  # fails on its dead connection, then starts over
        await add_events(messaging_db, topic, ["a"], per_key=1)
        assert await first.publish_batch() == 0  # now the second relay leads
        assert await second.publish_batch() == 1
    finally:
        await first.close()
        await second.close()
        await producer.stop()


async def test_batched_records_land_where_single_sends_put_their_keys(kafka_settings):
    topic = kafka_settings.topics.erased
    await ensure_topics(kafka_settings, [topic], partitions=3)
    keys = [f"lead-{i}" for i in range(40)]
    producer = SafeProducer(kafka_settings.model_copy(update={"producer_max_batch_bytes": 16 * 1024}), "test")
    try:
        # Enough records for several batches per partition (a batch holds 16 KiB here).
        records = [(topic, b"batched" + b"x" * 2000, key) for key in keys]
        await asyncio.gather(*await producer.enqueue_batches(records))
        for key in keys:
            await producer.send(topic, b"single", key)
    finally:
        await producer.stop()
    async with TopicReader(kafka_settings.bootstrap_servers, topic) as reader:
        messages = await reader.wait_for(2 * len(keys))
    batched = {m.key: m.partition for m in messages if m.value.startswith(b"batched")}
    single = {m.key: m.partition for m in messages if m.value == b"single"}
    assert batched == single and len(batched) == len(keys)
    assert set(batched.values()) == {0, 1, 2}


async def test_a_relay_pass_goes_out_as_one_batch_per_partition(kafka_settings):
    topic = kafka_settings.topics.erased
    await ensure_topics(kafka_settings, [topic], partitions=1)
    producer = SafeProducer(kafka_settings, "test")
    try:
        # 100 LeadScored-sized records: aiokafka's default 16 KiB batch would split them into 17 batches, and the
        # embedded broker stores and lists each batch as an object of its own.
        futures = await producer.enqueue_batches([(topic, b"x" * 2600, f"lead-{i}") for i in range(100)])
        delivered = await asyncio.gather(*futures)
    finally:
        await producer.stop()
    assert len({id(future) for future in futures}) == 1
    assert {metadata.offset for metadata in delivered} == {0}  # every record's batch starts at offset 0
    async with TopicReader(kafka_settings.bootstrap_servers, topic) as reader:
        assert len(await reader.wait_for(100)) == 100


@contextlib.asynccontextmanager
async def relay_between_passes(db, kafka_settings: KafkaSettings, min_pass_interval_s: float):
    """A relay woken only by NOTIFY (its poll a minute apart) that has just sent a lone row, so its pass interval
    has begun; yields the relay and its task, and stops both afterwards."""
    producer = SafeProducer(kafka_settings, "test")
    relay = OutboxRelay(
        db.engine, db.outbox, producer, "test", poll_interval_s=60, min_pass_interval_s=min_pass_interval_s
    )
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(relay.listening.wait(), 10)
        await add_events(db, kafka_settings.topics.erased, ["first"], per_key=1)
        await wait_until(lambda: _all_sent(db), what="the first row sent", timeout_s=10)
        yield relay, task
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await producer.stop()


async def test_a_busy_relay_gathers_rows_committed_between_its_passes(messaging_db, kafka_settings):
    async with relay_between_passes(messaging_db, kafka_settings, min_pass_interval_s=2.0):
        for key in ("a", "b", "c", "d", "e"):  # five commits, each with its NOTIFY, within the pass interval
            await add_events(messaging_db, kafka_settings.topics.erased, [key], per_key=1)
        await wait_until(lambda: _all_sent(messaging_db), what="the five rows sent", timeout_s=10)
        async with messaging_db.engine.connect() as conn:
            passes = list(await conn.scalars(text("SELECT DISTINCT sent_at FROM outbox ORDER BY sent_at")))
        # The lone first row went out in a pass of its own; the five that followed waited and went out together.
        assert len(passes) == 2


async def test_a_stop_ends_the_wait_between_passes(messaging_db, kafka_settings):
    async with relay_between_passes(messaging_db, kafka_settings, min_pass_interval_s=60) as (relay, task):
        relay.stop()  # the relay is now waiting out its 60 s between passes
        await asyncio.wait_for(task, 10)


async def test_relay_wakes_on_notify_long_before_its_poll(messaging_db, kafka_settings):
    producer = SafeProducer(kafka_settings, "test")
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, producer, "test", poll_interval_s=60)
    task = asyncio.create_task(relay.run())
    try:
        async with TopicReader(kafka_settings.bootstrap_servers, kafka_settings.topics.erased) as reader:
            await asyncio.wait_for(relay.listening.wait(), 10)
            started = time.monotonic()
            await add_events(messaging_db, kafka_settings.topics.erased, ["k"], per_key=1)
            await reader.wait_for(1, timeout_s=10)
            assert time.monotonic() - started < 10  # the poll interval is 60 s: only NOTIFY explains this
    finally:
        relay.stop()
        await asyncio.wait_for(task, 10)
        await producer.stop()


async def test_rows_wait_for_an_unreachable_broker_then_all_go_out(messaging_db, tmp_path):
    port = free_port()
    settings = KafkaSettings(bootstrap_servers=f"127.0.0.1:{port}", send_timeout_s=2, request_timeout_s=2)
    await add_events(messaging_db, settings.topics.erased, ["a", "b"], per_key=5)
    producer = SafeProducer(settings, "test")
    relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, producer, "test", poll_interval_s=0.2)
    task = asyncio.create_task(relay.run())
    broker = local_broker(tmp_path, port=port)
    try:
        await wait_until(lambda: _failed(relay), what="the relay failing against the missing broker")
        assert await unsent(messaging_db) == 10
        await asyncio.to_thread(broker.start)
        async with TopicReader(settings.bootstrap_servers, settings.topics.erased) as reader:
            messages = await reader.wait_for(10, timeout_s=30)
        assert sorted(json.loads(m.value)["data"]["lead_id"] for m in messages) == sorted(
            f"{k}:{i}" for k in "ab" for i in range(5)
        )
    finally:
        relay.stop()
        await asyncio.wait_for(task, 20)
        await producer.stop()
        broker.stop()


async def _all_sent(db) -> bool:
    return await unsent(db) == 0


async def _failed(relay: OutboxRelay) -> bool:
    return relay.failures > 0
