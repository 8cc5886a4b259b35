"""Two routing processes share 6 partitions of leads.scored: 1,000 leads, each handed off exactly once,
and no rep ever past a cap (the database decides, not counters in memory)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer

from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, ServiceProcess, service_env
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.metrics import sample_values
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.lead import Company, Contact, LeadSnapshot
from leadrelay.events.scoring import LeadScored
from leadrelay.kafka.admin import ensure_topics
from leadrelay.routing.settings import SEED_CONFIG
from leadrelay.settings import KafkaSettings

pytestmark = pytest.mark.system

LEADS = 1000
CAPS = {f"rep-{i}": 90 for i in range(10)}  # 900 places in enterprise
SMB_CAPS = {"rep-alan": 40, "rep-katherine": 40}  # 80 more through the fallback; the rest are pooled


def config() -> dict:
    document = yaml.safe_load(SEED_CONFIG.read_text())
    document["version"] = "replicas"
    document["reps"] = [
        {"id": rep, "name": rep, "queues": ["enterprise"], "concurrent_cap": cap} for rep, cap in CAPS.items()
    ] + [{"id": rep, "name": rep, "queues": ["smb"], "concurrent_cap": cap} for rep, cap in SMB_CAPS.items()]
    document["reps"].append({"id": "rep-mary", "name": "Mary", "queues": ["leadership"]})
    document["queues"][1].pop("fallback", None)
    return document


async def topic_metric(http: httpx.AsyncClient, url: str, name: str, topic: str) -> float:
    """Sum one metric's samples for one topic, as a process reports them on /metrics."""
    return sum(sample_values((await http.get(f"{url}/metrics")).text, name, topic=topic))


def scored(i: int) -> tuple[str, bytes]:
    lead_id = str(uuid.UUID(int=i))
    data = LeadScored(
        lead_id=lead_id,
        score=80,
        fit=70,
        engagement=10,
        grade="A1",
        stage="sql",
        ruleset_version="test",
        lead=LeadSnapshot(contact=Contact(email=f"lead{i}@example.com"), company=Company(size="1000+")),
    )
    return lead_id, encode(new_event(data, source="leadrelay/scoring", subject=lead_id))


async def test_two_routers_hand_off_each_lead_once_and_respect_every_cap(infra, unique, tmp_path):
    prefix = f"rr{unique}."
    kafka = KafkaSettings(bootstrap_servers=infra.bootstrap_servers, topic_prefix=prefix)
    topics = kafka.topics
    await ensure_topics(
        kafka,
        [
            *topics.all_with_dlq(),
            topics.handoff("enterprise"),
            topics.handoff("smb"),
            topics.handoff("leadership"),
        ],
        partitions=6,
    )
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(config()))
    database = f"lrt_replicas_{unique}"
    spec = next(s for s in SERVICES if s.name == "routing")
    env = service_env(
        infra.bootstrap_servers,
        infra.postgres_dsn,
        LEADRELAY_KAFKA_TOPIC_PREFIX=prefix,
        LEADRELAY_KAFKA_PARTITIONS="6",
        LEADRELAY_KAFKA_SESSION_TIMEOUT_MS="3000",
        LEADRELAY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
        LEADRELAY_ROUTING_DATABASE=database,
        LEADRELAY_ROUTING_CONFIG_PATH=str(path),
        LEADRELAY_ROUTING_OUTBOX_POLL_INTERVAL_S="0.2",
        LEADRELAY_ROUTING_LOG_LEVEL="WARNING",
    )
    routers = [ServiceProcess(spec, env, tmp_path / f"logs-{i}", port=free_port()) for i in range(2)]
    try:
        routers[0].start()
        await asyncio.to_thread(routers[0].wait_ready, 90.0)  # migrates first; the second finds it done
        routers[1].start()
        await asyncio.to_thread(routers[1].wait_ready, 90.0)
        async with httpx.AsyncClient(timeout=10) as http:

            async def shared_out() -> list[float]:
                """Each router's share of leads.scored, once the group has split all 6 partitions between them."""
                shares = [
                    await topic_metric(http, r.url, "leadrelay_consumer_assigned_partitions", topics.scored)
                    for r in routers
                ]
                return shares if sum(shares) == 6 and all(shares) else []

            # Ready means reachable, not yet in the group: without this one router could take every lead first.
            await wait_until(
                shared_out, timeout_s=60.0, interval_s=0.2, what="both routers assigned partitions"
            )
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all", linger_ms=20)
        await producer.start()
        try:
            sent = [
                await producer.send(topics.scored, value, key=lead_id.encode())
                for lead_id, value in map(scored, range(LEADS))
            ]
            await asyncio.gather(*sent)
        finally:
            await producer.stop()
        async with TopicReader(kafka.bootstrap_servers, topics.qualified) as reader:
            await reader.wait_for(LEADS, timeout_s=240.0)
            handoffs = [json.loads(m.value) for m in await reader.settle(2.0)]
        async with httpx.AsyncClient(timeout=10) as http:
            consumed = [
                await topic_metric(http, r.url, "leadrelay_messages_consumed_total", topics.scored)
                for r in routers
            ]
    finally:
        for router in routers:
            await asyncio.to_thread(router.stop)
        await drop_database(infra.postgres_dsn, database)
    per_lead = Counter(h["data"]["lead_id"] for h in handoffs)
    assert len(per_lead) == LEADS and set(per_lead.values()) == {1}, "every lead handed off exactly once"
    owners = Counter(h["data"]["owner"]["id"] for h in handoffs)
    for rep, cap in {**CAPS, **SMB_CAPS}.items():
        assert owners[rep] <= cap, f"{rep} got {owners[rep]} leads, cap {cap}"
    assert sum(owners[r] for r in CAPS) == 900 and sum(owners[r] for r in SMB_CAPS) == 80
    assert owners["pool:enterprise"] == LEADS - 980
    assert all(c > 0 for c in consumed), f"both routers consumed: {consumed}"
