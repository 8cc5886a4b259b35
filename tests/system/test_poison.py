"""Poison and schema evolution against a running service (scoring, as its own process): an undecodable
message and an event of an unknown major version go to the DLQ at once; an event with extra optional fields
is processed normally; an event whose handler raises (a lead id longer than the database allows) goes to the
DLQ after its retries; and the service's consumer lag returns to 0."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from leadrelay.db.provision import drop_database
from leadrelay.devkit.devstack import SERVICES, ServiceProcess, service_env
from leadrelay.devkit.infra.net import free_port
from leadrelay.devkit.testing.kafka import TopicReader
from leadrelay.devkit.testing.metrics import sample_values
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.events import encode, new_event
from leadrelay.events.lead import Company, Consent, Contact, LeadCaptured
from leadrelay.kafka.admin import ensure_topics
from leadrelay.settings import KafkaSettings

pytestmark = pytest.mark.system


def captured(lead_id: str) -> dict:
    lead = LeadCaptured(
        lead_id=lead_id,
        source="referral",
        completeness="complete",
        contact=Contact(email=f"{lead_id[:8]}@example.com"),
        company=Company(size="201-1000"),
        consent=Consent(purposes=["contact"]),
        message="Can we see a demo?",
    )
    return json.loads(encode(new_event(lead, source="leadrelay/capture", subject=lead_id)))


def lag_and_dead_letters(metrics: str, topic: str) -> tuple[float, float]:
    def value(name: str) -> float:
        found = sample_values(metrics, name, service="scoring", topic=topic)
        return found[0] if found else -1.0

    return value("leadrelay_consumer_lag"), value("leadrelay_dead_lettered_total")


async def test_poison_and_schema_changes_on_a_running_service(infra, unique, tmp_path):
    kafka = KafkaSettings(bootstrap_servers=infra.bootstrap_servers, topic_prefix=f"p{unique}.")
    topics = kafka.topics
    await ensure_topics(kafka, topics.all_with_dlq())
    spec = next(s for s in SERVICES if s.name == "scoring")
    database = f"lrt_poison_scoring_{unique}"
    env = service_env(
        infra.bootstrap_servers,
        infra.postgres_dsn,
        LEADRELAY_KAFKA_TOPIC_PREFIX=kafka.topic_prefix,
        LEADRELAY_KAFKA_SESSION_TIMEOUT_MS="3000",
        LEADRELAY_KAFKA_HEARTBEAT_INTERVAL_MS="500",
        LEADRELAY_SCORING_DATABASE=database,
        LEADRELAY_SCORING_OUTBOX_POLL_INTERVAL_S="0.2",
    )
    scoring = ServiceProcess(spec, env, tmp_path / "logs", port=free_port())
    good, extra, raising = str(uuid.uuid4()), str(uuid.uuid4()), "x" * 60
    future = captured(str(uuid.uuid4()))
    future["type"] = "leadrelay.lead.captured.v2"
    with_extra_fields = captured(extra)
    with_extra_fields["data"]["added_in_a_later_minor"] = {"nested": True}
    with_extra_fields["data"]["contact"]["preferred_channel"] = "phone"
    messages = [
        b"\xff\xfe definitely not an event",
        json.dumps(future).encode(),
        json.dumps(with_extra_fields).encode(),
        json.dumps(captured(raising)).encode(),
        json.dumps(captured(good)).encode(),
    ]
    try:
        scoring.start()
        await asyncio.to_thread(scoring.wait_ready, 90.0)
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, acks="all")
        await producer.start()
        try:
            for value in messages:  # one request each: Tansu's high watermark then matches the log
                await producer.send_and_wait(topics.captured, value, key=b"one-partition")
        finally:
            await producer.stop()
        async with TopicReader(kafka.bootstrap_servers, topics.scored) as scored:
            leads = {m.json()["data"]["lead_id"] for m in await scored.wait_for(2, timeout_s=60)}
        assert leads == {good, extra}, "the event with extra fields is scored like any other"
        async with TopicReader(kafka.bootstrap_servers, topics.dlq(topics.captured)) as dlq:
            dead = await dlq.wait_for(3, timeout_s=60)
        assert dead[0].value == messages[0] and "not JSON" in dead[0].headers["error"]
        assert "unknown event type" in dead[1].headers["error"] and dead[1].headers["attempts"] == "0"
        assert json.loads(dead[2].value)["data"]["lead_id"] == raising
        assert dead[2].headers["attempts"] == "3", "the raising handler was retried before dead-lettering"
        # the database refused the over-long lead id; its message (which quotes the value) stays out of the header
        assert "StringDataRightTruncation" in dead[2].headers["error"], dead[2].headers["error"]
        async with httpx.AsyncClient(timeout=5) as http:

            async def settled() -> bool:
                metrics = (await http.get(f"{scoring.url}/metrics")).text
                return lag_and_dead_letters(metrics, topics.captured) == (0.0, 3.0)

            await wait_until(settled, what="consumer lag back to 0 with 3 dead letters", timeout_s=30)
    finally:
        scoring.stop()
        await drop_database(infra.postgres_dsn, database)
