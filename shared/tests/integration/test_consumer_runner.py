"""The consumer runner: inbox dedupe, commit after the DB, DLQ for poison, restart on stalls."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from sqlalchemy import insert

from leadrelay.devkit.testing.kafka import TopicReader, produce
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import Envelope, encode, new_event
from leadrelay.events.lead import LeadActivity, LeadErased
from leadrelay.kafka.admin import ensure_topics
from leadrelay.kafka.consumer import ConsumerRunner
from leadrelay.kafka.deadletters import read_dead_letters, replay, selected
from leadrelay.kafka.metadata import partitions_of
from leadrelay.kafka.producer import SafeProducer
from leadrelay.observability.metrics import REGISTRY


def erased(lead_id: str) -> Envelope:
    return new_event(LeadErased(lead_id=lead_id), source="test", subject=lead_id)


def recording_handler(db) -> Callable[[Envelope], Awaitable[None]]:
    async def handle(event: Envelope) -> None:
        async with db.uow() as uow:
            if not await uow.inbox.claim(event):
                return
            await uow.session.execute(insert(db.items).values(id=event.data.lead_id))
            await uow.commit()

    return handle


async def run_runner(runner: ConsumerRunner) -> asyncio.Task[None]:
    return asyncio.create_task(runner.run())


async def stop_runner(runner: ConsumerRunner, task: asyncio.Task[None], producer: SafeProducer) -> None:
    runner.stop()
    await asyncio.wait_for(task, 20)
    await producer.stop()


def make_runner(kafka_settings, unique, handlers, **kwargs) -> tuple[ConsumerRunner, SafeProducer]:
    producer = SafeProducer(kafka_settings, "test")
    runner = ConsumerRunner(
        settings=kafka_settings,
        service="test",
        group_id=f"g-{unique}",
        handlers=handlers,
        topics=[kafka_settings.topics.erased],
        producer=producer,
        retry_backoff_s=0.01,
        **kwargs,
    )
    return runner, producer


async def test_poison_goes_to_the_dlq_and_the_partition_moves_on(messaging_db, kafka_settings, unique):
    topic = kafka_settings.topics.erased
    calls: list[str] = []
    record = recording_handler(messaging_db)

    async def handler(event: Envelope) -> None:
        calls.append(event.data.lead_id)
        if event.data.lead_id == "explodes":
            raise ValueError("handler bug")
        await record(event)

    future_version = json.loads(encode(erased("v2")))
    future_version["type"] = "leadrelay.lead.erased.v2"
    extra_fields = json.loads(encode(erased("extra")))
    extra_fields["data"]["added_in_v1_1"] = True
    bs = kafka_settings.bootstrap_servers
    # One key, so all land in one partition, in this order.
    for value in (
        encode(erased("first")),
        b"\x00not json at all",
        json.dumps(future_version).encode(),
        encode(erased("explodes")),
        json.dumps(extra_fields).encode(),
        encode(erased("last")),
    ):
        await produce(bs, topic, value, key="same-key")
    runner, producer = make_runner(kafka_settings, unique, {LeadErased.EVENT_TYPE: handler}, max_attempts=3)
    task = await run_runner(runner)
    try:
        await wait_until(lambda: _has(messaging_db, {"first", "extra", "last"}), what="good messages handled")
        async with TopicReader(bs, kafka_settings.topics.dlq(topic)) as dlq:
            dead = await dlq.wait_for(3)
        assert dead[0].value == b"\x00not json at all"
        assert "not JSON" in dead[0].headers["error"]
        assert "unknown event type" in dead[1].headers["error"]
        assert dead[2].headers["error"] == "ValueError"  # the type only: a message may quote the event's data
        assert dead[2].headers["attempts"] == "3"
        for message in dead:
            assert message.headers["original_topic"] == topic
            assert message.headers["original_partition"].isdigit()
            assert message.headers["original_offset"].isdigit()
        assert [o for o in (int(m.headers["original_offset"]) for m in dead)] == sorted(
            int(m.headers["original_offset"]) for m in dead
        )
        assert calls.count("explodes") == 3
    finally:
        await stop_runner(runner, task, producer)


async def _has(db, wanted: set[str]) -> bool:
    return wanted <= set(await db.item_ids())


async def test_redelivered_event_is_handled_once(messaging_db, kafka_settings, unique):
    event = erased("twice")
    for _ in range(2):
        await produce(kafka_settings.bootstrap_servers, kafka_settings.topics.erased, encode(event), key="k")
    await produce(
        kafka_settings.bootstrap_servers, kafka_settings.topics.erased, encode(erased("after")), key="k"
    )
    seen: list[str] = []
    record = recording_handler(messaging_db)

    async def handler(e: Envelope) -> None:
        seen.append(e.data.lead_id)
        await record(e)

    runner, producer = make_runner(kafka_settings, unique, {LeadErased.EVENT_TYPE: handler})
    task = await run_runner(runner)
    try:
        await wait_until(lambda: _has(messaging_db, {"twice", "after"}), what="both events")
        assert seen == ["twice", "twice", "after"]  # delivered twice ...
        assert await messaging_db.item_ids() == ["after", "twice"]  # ... one side effect
    finally:
        await stop_runner(runner, task, producer)


async def test_transient_failures_are_retried_from_the_last_commit_not_dead_lettered(
    messaging_db, kafka_settings, unique
):
    await produce(
        kafka_settings.bootstrap_servers, kafka_settings.topics.erased, encode(erased("flaky")), key="k"
    )
    record = recording_handler(messaging_db)
    failures = {"left": 2}

    async def handler(e: Envelope) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("database went away")
        await record(e)

    runner, producer = make_runner(kafka_settings, unique, {LeadErased.EVENT_TYPE: handler}, max_attempts=2)
    runner._restart_backoff_s = 0.1
    task = await run_runner(runner)
    try:
        await wait_until(lambda: _has(messaging_db, {"flaky"}), what="flaky event handled", timeout_s=60)
        assert runner.restarts == 2
        async with TopicReader(
            kafka_settings.bootstrap_servers, kafka_settings.topics.dlq(kafka_settings.topics.erased)
        ) as dlq:
            assert await dlq.settle(0.5) == []
    finally:
        await stop_runner(runner, task, producer)


async def test_a_transient_error_that_never_clears_is_dead_lettered_and_a_replay_brings_it_back(
    messaging_db, kafka_settings, unique
):
    topic = kafka_settings.topics.erased
    bs = kafka_settings.bootstrap_servers
    for lead in ("before", "stuck", "after"):
        await produce(bs, topic, encode(erased(lead)), key="one-partition")
    record = recording_handler(messaging_db)
    cause = {"fixed": False, "stuck_calls": 0}

    async def handler(e: Envelope) -> None:
        if e.data.lead_id == "stuck" and not cause["fixed"]:
            cause["stuck_calls"] += 1
            raise ConnectionError("a statement on this row always times out")
        await record(e)

    runner, producer = make_runner(
        kafka_settings,
        unique,
        {LeadErased.EVENT_TYPE: handler},
        max_transient_restarts=3,
        restart_backoff_s=0.05,
        stall_timeout_s=2.0,
    )
    task = await run_runner(runner)
    try:
        await wait_until(
            lambda: _has(messaging_db, {"before", "after"}), what="the partition moved on", timeout_s=60
        )
        async with TopicReader(bs, kafka_settings.topics.dlq(topic)) as dlq:
            [dead] = await dlq.wait_for(1)
        assert json.loads(dead.value)["data"]["lead_id"] == "stuck" and cause["stuck_calls"] == 3
        assert dead.headers["attempts"] == "3" and dead.headers["error"] == "ConnectionError"

        async def lag_is_zero() -> bool:
            return _sample("leadrelay_consumer_lag", service="test", topic=topic) == 0

        await wait_until(lag_is_zero, what="lag back to 0", timeout_s=30)
        letters = await read_dead_letters(kafka_settings, topic)
        assert [d.summary()["lead_id"] for d in letters] == ["stuck"]
        assert "a statement" not in json.dumps([d.summary() for d in letters])  # no message text, no data

        cause["fixed"] = True
        assert await replay(kafka_settings, selected(letters, event_id=letters[0].event_id), topic) == 1
        assert await replay(kafka_settings, letters, topic) == 1  # twice: the inbox takes it once
        await wait_until(
            lambda: _has(messaging_db, {"stuck"}), what="the replayed event handled", timeout_s=30
        )
        assert sorted(await messaging_db.item_ids()) == ["after", "before", "stuck"]
    finally:
        await stop_runner(runner, task, producer)


def _sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


async def test_a_stalled_consumer_restarts_itself(messaging_db, kafka_settings, unique):
    await produce(
        kafka_settings.bootstrap_servers, kafka_settings.topics.erased, encode(erased("stuck")), key="k"
    )
    record = recording_handler(messaging_db)
    calls = {"n": 0}

    async def handler(e: Envelope) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            await asyncio.Event().wait()  # hangs until the watchdog restarts the consumer
        await record(e)

    runner, producer = make_runner(
        kafka_settings, unique, {LeadErased.EVENT_TYPE: handler}, stall_timeout_s=1.0, handler_timeout_s=120
    )
    runner._restart_backoff_s = 0.1
    task = await run_runner(runner)
    try:
        await wait_until(lambda: _has(messaging_db, {"stuck"}), what="stalled event handled", timeout_s=60)
        assert runner.restarts >= 1
        assert calls["n"] == 2
    finally:
        await stop_runner(runner, task, producer)


async def test_runs_of_one_type_go_to_the_batch_handler_and_a_failing_batch_is_retried_one_by_one(
    messaging_db, kafka_settings, unique
):
    topic, bs = kafka_settings.topics.erased, kafka_settings.bootstrap_servers
    for value in (
        encode(erased("a")),
        encode(erased("b")),
        b"\x00not json",
        encode(erased("c")),
        encode(erased("explodes")),
        encode(erased("d")),
    ):
        await produce(bs, topic, value, key="same-key")
    record = recording_handler(messaging_db)
    batches: list[list[str]] = []
    singles: list[str] = []

    async def batch_handler(events: list[Envelope]) -> None:
        batches.append([e.data.lead_id for e in events])
        async with messaging_db.uow() as uow:
            for event in await uow.inbox.claim_many(events):
                if event.data.lead_id == "explodes":
                    raise ValueError("handler bug")  # rolls back the whole batch
                await uow.session.execute(insert(messaging_db.items).values(id=event.data.lead_id))
            await uow.commit()

    async def handler(event: Envelope) -> None:
        singles.append(event.data.lead_id)
        if event.data.lead_id == "explodes":
            raise ValueError("handler bug")
        await record(event)

    runner, producer = make_runner(
        kafka_settings,
        unique,
        {LeadErased.EVENT_TYPE: handler},
        batch_handlers={LeadErased.EVENT_TYPE: batch_handler},
    )
    task = await run_runner(runner)
    try:
        await wait_until(lambda: _has(messaging_db, {"a", "b", "c", "d"}), what="good events handled")
        async with TopicReader(bs, kafka_settings.topics.dlq(topic)) as dlq:
            dead = await dlq.wait_for(2)
        assert dead[0].headers["attempts"] == "0" and dead[0].value == b"\x00not json"
        assert dead[1].headers["error"].startswith("ValueError") and dead[1].headers["attempts"] == "3"
        assert ["a", "b"] in batches  # the undecodable record splits the runs, in order
        assert ["c", "explodes", "d"] in batches  # failed as a whole ...
        assert singles == ["c", "explodes", "explodes", "explodes", "d"]  # ... then one by one
        assert await messaging_db.item_ids() == ["a", "b", "c", "d"]
    finally:
        await stop_runner(runner, task, producer)


async def test_a_batch_claims_each_event_once_even_when_it_holds_a_redelivery(messaging_db):
    first, second = erased("x"), erased("y")
    async with messaging_db.uow() as uow:
        assert [e.id for e in await uow.inbox.claim_many([first, second, first])] == [first.id, second.id]
        await uow.commit()
    third = erased("z")
    async with messaging_db.uow() as uow:
        assert await uow.inbox.claim_many([second, third, first]) == [third]


async def test_a_fetch_over_many_partitions_and_topics_goes_to_one_batch_handler_call_in_order(
    messaging_db, kafka_settings, unique
):
    topics = [kafka_settings.topics.erased, kafka_settings.topics.activity]
    await ensure_topics(kafka_settings, topics, 3)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for i in range(12):
            for step in ("first", "second"):  # one lead's events, in order on its partition
                event = new_event(
                    LeadActivity(lead_id=f"a{i}", kind=step, at=datetime.now(UTC)),
                    source="test",
                    subject=f"a{i}",
                )
                await producer.send(topics[1], encode(event), key=f"a{i}".encode())
            await producer.send(topics[0], encode(erased(f"e{i}")), key=f"e{i}".encode())
        await producer.flush()
    finally:
        await producer.stop()
    calls: list[list[Envelope]] = []

    async def batch_handler(events: list[Envelope]) -> None:
        calls.append(events)
        async with messaging_db.uow() as uow:
            for event in await uow.inbox.claim_many(events):
                item = f"{event.data.lead_id}.{getattr(event.data, 'kind', 'erased')}"
                await uow.session.execute(insert(messaging_db.items).values(id=item))
            await uow.commit()

    async def single(event: Envelope) -> None:
        raise AssertionError("every event here has a batch handler")

    runner = ConsumerRunner(
        settings=kafka_settings,
        service="test",
        group_id=f"g-{unique}",
        handlers={LeadErased.EVENT_TYPE: single, LeadActivity.EVENT_TYPE: single},
        batch_handlers={LeadErased.EVENT_TYPE: batch_handler, LeadActivity.EVENT_TYPE: batch_handler},
        topics=topics,
        producer=(dlq_producer := SafeProducer(kafka_settings, "test")),
    )
    task = await run_runner(runner)
    try:
        await wait_until(lambda: _count(messaging_db, 36), what="every event handled")
        partitioner = DefaultPartitioner()

        def partitions(events: list[Envelope]) -> set[tuple[str, int]]:
            return {(e.type, partitioner(e.subject.encode(), [0, 1, 2], [0, 1, 2])) for e in events}

        assert (
            max(len(partitions(events)) for events in calls) > 2
        )  # several partitions of both topics at once
        assert max(len({e.type for e in events}) for events in calls) == 2
        handled = [
            f"{e.data.lead_id}.{getattr(e.data, 'kind', 'erased')}" for events in calls for e in events
        ]
        for i in range(12):
            assert handled.index(f"a{i}.first") < handled.index(f"a{i}.second")
    finally:
        await stop_runner(runner, task, dlq_producer)


async def _count(db, wanted: int) -> bool:
    return len(await db.item_ids()) >= wanted


async def batches_of_spaced_events(
    messaging_db, kafka_settings, unique: str, *, background: bool, every_s: float, burst: int = 1
) -> list[list[str]]:
    """Send 40 events, `burst` at a time every every_s, to a runner with a batch handler; return each call's events."""
    calls: list[list[str]] = []

    async def batch_handler(events: list[Envelope]) -> None:
        calls.append([e.data.lead_id for e in events])
        async with messaging_db.uow() as uow:
            for event in await uow.inbox.claim_many(events):
                await uow.session.execute(insert(messaging_db.items).values(id=event.data.lead_id))
            await uow.commit()

    async def single(event: Envelope) -> None:
        raise AssertionError("every event here has a batch handler")

    runner, dlq_producer = make_runner(
        kafka_settings,
        unique,
        {LeadErased.EVENT_TYPE: single},
        batch_handlers={LeadErased.EVENT_TYPE: batch_handler},
        background=background,
    )
    task = await run_runner(runner)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_settings.bootstrap_servers, acks="all")
    await producer.start()
    try:
        await wait_until(lambda: _consumer_assigned(runner), what="the consumer joined its group")
        started = time.monotonic()  # on a timetable, so a slow send does not stretch the burst
        for i in range(40):
            if i % burst == 0:
                await producer.flush()  # one record batch per burst, as one outbox relay pass sends
                await asyncio.sleep(max(0.0, started + i // burst * every_s - time.monotonic()))
            await producer.send(kafka_settings.topics.erased, encode(erased(f"e{i:02}")), key=b"k")
        await producer.flush()
        await wait_until(lambda: _count(messaging_db, 40), what="every event handled")
        assert [lead for call in calls for lead in call] == [f"e{i:02}" for i in range(40)]
        return calls
    finally:
        await producer.stop()
        await stop_runner(runner, task, dlq_producer)


async def test_a_background_consumer_takes_a_trickle_of_events_in_a_few_big_batches(
    messaging_db, kafka_settings, unique
):
    # 40 events over a second: a consumer on the handoff path (a 50 ms fetch) takes them in about 20 calls.
    calls = await batches_of_spaced_events(
        messaging_db, kafka_settings, unique, background=True, every_s=0.025
    )
    assert len(calls) <= 6, [len(call) for call in calls]


async def test_a_consumer_on_the_handoff_path_takes_each_relay_pass_in_one_batch(
    messaging_db, kafka_settings, unique
):
    # 4 passes of 10 events, 100 ms apart: the fetch answers at the first byte with everything the pass sent,
    # so batching comes from the relay, not from the fetch waiting (which only held each hop back).
    calls = await batches_of_spaced_events(
        messaging_db, kafka_settings, unique, background=False, every_s=0.1, burst=10
    )
    assert len(calls) <= 6, [len(call) for call in calls]


async def _consumer_assigned(runner: ConsumerRunner) -> bool:
    return runner.running and runner.assigned


async def test_each_member_shows_its_share_of_the_partitions_through_rebalances(kafka_settings, unique):
    topic = kafka_settings.topics.erased
    await ensure_topics(kafka_settings, [topic], partitions=4)
    services = [f"first-{unique}", f"second-{unique}"]
    members = []
    for service in services:
        producer = SafeProducer(kafka_settings, service)
        runner = ConsumerRunner(
            settings=kafka_settings,
            service=service,
            group_id=f"g-{unique}",
            handlers={},
            topics=[topic],
            producer=producer,
        )
        members.append((runner, producer))

    def shares() -> list[float | None]:
        return [
            REGISTRY.get_sample_value(
                "leadrelay_consumer_assigned_partitions", {"service": service, "topic": topic}
            )
            for service in services
        ]

    async def showing(expected: Callable[[list[float | None]], bool]) -> list[float | None]:
        current = shares()
        return current if expected(current) else []

    first = await run_runner(members[0][0])
    second = None
    try:
        await wait_until(
            lambda: showing(lambda s: s[0] == 4), timeout_s=30, what="the only member holds all 4"
        )
        second = await run_runner(members[1][0])
        split = await wait_until(
            lambda: showing(lambda s: s[0] and s[1] and s[0] + s[1] == 4), timeout_s=30, what="a split of 4"
        )
        assert sorted(split) == [2, 2]
        await stop_runner(members[1][0], second, members[1][1])
        second = None
        assert shares()[1] == 0  # a stopped member shows none
        await wait_until(lambda: showing(lambda s: s[0] == 4), timeout_s=30, what="all 4 back with the first")
    finally:
        if second is not None:
            await stop_runner(members[1][0], second, members[1][1])
        await stop_runner(members[0][0], first, members[0][1])


@pytest.mark.parametrize("static", [True, False], ids=["static members", "dynamic members"])
async def test_a_static_member_restarted_within_the_session_timeout_moves_no_partition(
    kafka_settings, unique, static
):
    topic = kafka_settings.topics.erased
    await ensure_topics(kafka_settings, [topic], partitions=4)
    # a session long enough to cover the restart; the staying member is the group's leader (it joined first)
    settings = kafka_settings.model_copy(update={"session_timeout_ms": 10_000})

    def member(name: str) -> tuple[ConsumerRunner, SafeProducer]:
        producer = SafeProducer(settings, name)
        runner = ConsumerRunner(
            settings=settings,
            service=f"{name}-{unique}",
            group_id=f"g-static-{unique}",
            handlers={},
            topics=[topic],
            producer=producer,
            group_instance_id=f"{name}-{unique}" if static else None,
        )
        return runner, producer

    def assigned(name: str) -> float:
        labels = {"service": f"{name}-{unique}", "topic": topic}
        return REGISTRY.get_sample_value("leadrelay_consumer_assigned_partitions", labels) or 0

    def rebalances(name: str) -> float:
        labels = {"service": f"{name}-{unique}"}
        return REGISTRY.get_sample_value("leadrelay_consumer_rebalances_total", labels) or 0

    async def split() -> bool:
        return assigned("staying") == 2 and assigned("restarted") == 2

    staying, staying_producer = member("staying")
    staying_task = await run_runner(staying)
    await wait_until(
        lambda: asyncio.to_thread(lambda: assigned("staying") == 4), 30, what="the first holds 4"
    )
    restarted, producer = member("restarted")
    task = await run_runner(restarted)
    try:
        await wait_until(split, timeout_s=30, what="a split of 4")
        before = rebalances("staying")
        await stop_runner(restarted, task, producer)
        restarted, producer = member("restarted")  # a new process of the same replica, back within seconds
        task = await run_runner(restarted)
        await wait_until(split, timeout_s=30, what="the restarted replica's share back")
        await asyncio.sleep(1)  # a rebalance the restart caused would reach the staying member by now
        assert (rebalances("staying") - before == 0) is static
    finally:
        await stop_runner(restarted, task, producer)
        await stop_runner(staying, staying_task, staying_producer)


async def _produce_spread(bootstrap_servers: str, topic: str, leads: list[str]) -> dict[int, int]:
    """Produce one event per lead (each its own key, so they spread over the partitions); return each partition's
    end offset as the broker acknowledged it."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        ends: dict[int, int] = {}
        for lead in leads:
            sent = await producer.send_and_wait(topic, encode(erased(lead)), key=lead.encode())
            ends[sent.partition] = max(ends.get(sent.partition, 0), sent.offset + 1)
        return ends
    finally:
        await producer.stop()


async def _committed(bootstrap_servers: str, topic: str, group: str) -> dict[int, int]:
    """The group's committed offsets per partition, as the broker holds them (read without joining the group)."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        partitions = await partitions_of(reader, topic)
        offsets = {tp.partition: await reader.committed(tp) for tp in partitions}
        return {p: offset for p, offset in offsets.items() if offset is not None}
    finally:
        await reader.stop()


async def test_the_lag_gauge_is_what_was_produced_and_not_yet_handled(messaging_db, kafka_settings, unique):
    """The lag the consumer reports matches the offsets the test produced, before anything was handled, after all
    of it, and with a few events waiting behind a slow handler."""
    topic = kafka_settings.topics.erased
    bs = kafka_settings.bootstrap_servers
    record = recording_handler(messaging_db)
    gate = asyncio.Event()

    async def slow_handler(event: Envelope) -> None:
        await gate.wait()
        await record(event)

    first = await _produce_spread(bs, topic, [f"lead-{i}" for i in range(30)])
    assert len(first) > 1 and sum(first.values()) == 30  # a fresh topic, and several partitions in play
    runner, producer = make_runner(
        kafka_settings,
        unique,
        {LeadErased.EVENT_TYPE: slow_handler},
        handler_timeout_s=120,
        stall_timeout_s=120,
        lag_interval_s=0.2,
    )

    async def lag_is(expected: int) -> bool:
        return _sample("leadrelay_consumer_lag", service="test", topic=topic) == expected

    task = await run_runner(runner)
    try:
        await wait_until(lambda: lag_is(30), what="the lag of 30 produced, none handled", timeout_s=60)
        assert await _committed(bs, topic, runner.group_id) == {}

        gate.set()
        await wait_until(lambda: lag_is(0), what="the lag back to 0 once all 30 were handled", timeout_s=60)
        assert await _committed(bs, topic, runner.group_id) == first

        gate.clear()
        second = await _produce_spread(bs, topic, [f"later-{i}" for i in range(5)])
        await wait_until(lambda: lag_is(5), what="the lag of the 5 produced since", timeout_s=60)
        gate.set()
        await wait_until(lambda: lag_is(0), what="the lag back to 0 again", timeout_s=60)
        ends = {p: max(first.get(p, 0), second.get(p, 0)) for p in first.keys() | second.keys()}
        assert await _committed(bs, topic, runner.group_id) == ends
        assert await _has(messaging_db, {f"lead-{i}" for i in range(30)} | {f"later-{i}" for i in range(5)})
    finally:
        gate.set()
        await stop_runner(runner, task, producer)
