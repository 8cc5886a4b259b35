"""1,000 handoffs with deadlines spread over a minute and a half; the SLA monitor is killed with SIGKILL three
times and its PostgreSQL restarted once on the way: exactly one breach per uncontacted handoff, none for the
contacted ones, never early. Prints breach lateness (p50, p99)."""

from __future__ import annotations

import asyncio
import json
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from leadrelay.devkit.devstack import SERVICES, ServiceProcess, service_env
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.infra.postgres import EmbeddedPostgres
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.handoff import DecisionRef, LeadQualified, Owner, SlaTerms
from leadrelay.kafka.admin import ensure_topics
from leadrelay.settings import KafkaSettings

pytestmark = pytest.mark.system

HANDOFFS = 1000
FIRST_DUE_S, SPREAD_S = 25.0, 90.0

SALES = {"X-API-Key": "durability-sales-key-0123456789"}  # reads the clocks and reports contacts
# Thirty seconds to first contact: a handoff due at t started thirty seconds before t.
FIRST_CONTACT = timedelta(seconds=30)
POLICIES = {"version": "durability", "policies": [{"name": "durability-test", "deadlines": {"A": 0.5}}]}


def qualified(i: int, due_at: datetime) -> tuple[str, bytes]:
    handoff_id = str(uuid.UUID(int=i + 1))
    data = LeadQualified(
        handoff_id=handoff_id,
        lead_id=f"lead-{i}",
        queue="enterprise",
        owner=Owner(id=f"rep-{i % 7}", name="Rep"),
        score=80,
        grade="A1",
        stage="sql",
        sla=SlaTerms(policy="durability-test", due_at=due_at),
        decision=DecisionRef(trace_id="t", strategy="round_robin"),
    )
    started = due_at - FIRST_CONTACT
    return handoff_id, encode(new_event(data, source="leadrelay/routing", subject=data.lead_id, time=started))


async def open_clocks(http: httpx.AsyncClient, url: str) -> int:
    return len((await http.get(f"{url}/v1/handoffs", params={"limit": 1000})).json())


async def test_breaches_survive_sigkill_and_a_postgres_restart(infra, unique, tmp_path):
    postgres = EmbeddedPostgres(tmp_path / "pg").start()  # private: this test restarts it
    prefix = f"sd{unique}."
    kafka = KafkaSettings(bootstrap_servers=infra.bootstrap_servers, topic_prefix=prefix)
    topics = kafka.topics
    await ensure_topics(kafka, topics.all_with_dlq())
    spec = next(s for s in SERVICES if s.name == "sla-monitor")
    policies = tmp_path / "policies.yaml"
    policies.write_text(json.dumps(POLICIES))  # JSON is YAML
    env = service_env(
        infra.bootstrap_servers,
        postgres.dsn,
        LEADRELAY_KAFKA_TOPIC_PREFIX=prefix,
        LEADRELAY_KAFKA_SESSION_TIMEOUT_MS="3000",
        LEADRELAY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
        LEADRELAY_SLA_MONITOR_BREACH_POLL_INTERVAL_S="0.1",
        LEADRELAY_SLA_MONITOR_OUTBOX_POLL_INTERVAL_S="0.2",
        LEADRELAY_SLA_MONITOR_LOG_LEVEL="WARNING",
        LEADRELAY_SLA_MONITOR_SALES_KEYS=SALES["X-API-Key"],
        LEADRELAY_SLA_MONITOR_POLICIES_PATH=str(policies),
    )
    monitor = ServiceProcess(spec, env, tmp_path / "logs", port=free_port())
    try:
        monitor.start()
        await asyncio.to_thread(monitor.wait_ready, 90.0)
        start = datetime.now(UTC)
        due = {
            handoff_id: value
            for handoff_id, value in (
                qualified(i, start + timedelta(seconds=FIRST_DUE_S + SPREAD_S * i / HANDOFFS))
                for i in range(HANDOFFS)
            )
        }
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", linger_ms=20)
        await producer.start()
        try:
            sent = [await producer.send(topics.qualified, value, key=h.encode()) for h, value in due.items()]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        deadlines = {
            h: start + timedelta(seconds=FIRST_DUE_S + SPREAD_S * i / HANDOFFS) for i, h in enumerate(due)
        }
        contacted = set(list(due)[::2])
        async with httpx.AsyncClient(timeout=10, headers=SALES) as http:

            async def all_started() -> bool:
                return await open_clocks(http, monitor.url) == HANDOFFS

            await wait_until(all_started, what="every clock started", timeout_s=20)
            for batch in range(0, len(contacted), 50):
                await asyncio.gather(
                    *(
                        http.post(f"{monitor.url}/v1/handoffs/{h}/contact", json={"channel": "phone"})
                        for h in sorted(contacted)[batch : batch + 50]
                    )
                )
        assert datetime.now(UTC) < start + timedelta(seconds=FIRST_DUE_S), (
            "contacts must land before deadlines"
        )

        async def at(seconds: float) -> None:
            await asyncio.sleep(
                max(0.0, (start + timedelta(seconds=seconds) - datetime.now(UTC)).total_seconds())
            )

        for kill_at in (FIRST_DUE_S + 10, FIRST_DUE_S + 35):
            await at(kill_at)
            monitor.process.kill()  # SIGKILL: no shutdown, no flush
            monitor.process.wait(10)
            monitor.start()
        await at(FIRST_DUE_S + 55)
        postgres.stop()
        await asyncio.sleep(2)
        postgres.start()
        await at(FIRST_DUE_S + 75)
        monitor.process.kill()
        monitor.process.wait(10)
        monitor.start()
        await asyncio.to_thread(monitor.wait_ready, 90.0)
        await at(FIRST_DUE_S + SPREAD_S + 5)
        async with TopicReader(kafka.bootstrap_servers, topics.sla_breached) as reader:
            await reader.wait_for(HANDOFFS - len(contacted), timeout_s=60)
            messages = await reader.settle(3.0)
    finally:
        monitor.stop()
        postgres.stop()
    events = [json.loads(m.value) for m in messages]
    ids_per_handoff: dict[str, set[str]] = {}
    for event in events:
        ids_per_handoff.setdefault(event["data"]["handoff_id"], set()).add(event["id"])
    assert set(ids_per_handoff) == set(due) - contacted, "exactly the uncontacted handoffs breach"
    assert all(len(ids) == 1 for ids in ids_per_handoff.values()), "one breach per handoff"
    lateness = sorted(
        (
            datetime.fromisoformat(e["data"]["breached_at"]) - deadlines[e["data"]["handoff_id"]]
        ).total_seconds()
        for e in {e["id"]: e for e in events}.values()
    )
    assert lateness[0] >= 0, "a breach fired early"
    p99 = lateness[int(len(lateness) * 0.99) - 1]
    print(
        f"\nbreach lateness over {len(lateness)} breaches through 3 SIGKILLs and a PostgreSQL restart: "
        f"p50 {statistics.median(lateness):.3f} s, p99 {p99:.3f} s, max {lateness[-1]:.3f} s; "
        f"{len(events) - len(lateness)} redelivered duplicates (same event id)"
    )
