"""Topics as code on a real broker: `leadrelay topics plan` lists what differs from the declaration, `apply` makes
it, and a service refuses to start on topics shaped otherwise."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from sqlalchemy import MetaData

from leadrelay.db.tables import messaging_tables
from leadrelay.devkit.testing.waiting import wait_until
from leadrelay.kafka.admin import TopicsMisshapen, admin_client, ensure_topics, observe
from leadrelay.service.runtime import ServiceRuntime
from leadrelay.settings import ServiceSettings


async def leadrelay_topics(kafka_settings, *args: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "LEADRELAY_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.bootstrap_servers,
        "LEADRELAY_KAFKA_TOPIC_PREFIX": kafka_settings.topic_prefix,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "leadrelay.cli", "topics", *args,
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode()


async def test_plan_lists_the_differences_and_apply_makes_them(kafka_settings):
    topics = kafka_settings.topics
    await ensure_topics(kafka_settings, [topics.scored], partitions=1)
    await ensure_topics(kafka_settings, [topics.captured])
    async with admin_client(kafka_settings) as admin:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topics.captured, configs={"retention.ms": "60000"})]
        )

    status, shown = await leadrelay_topics(kafka_settings, "plan", "--queue", "enterprise")
    assert status == 2, shown
    assert f"add partitions {topics.scored}: 1 -> 3" in shown
    assert f"alter config   {topics.captured}: retention.ms 60000 -> {kafka_settings.retention_ms}" in shown
    assert f"create         {topics.handoff('enterprise')}: 3 partitions" in shown
    assert f"create         {topics.dlq(topics.erased)}: 3 partitions" in shown

    status, shown = await leadrelay_topics(kafka_settings, "apply", "--queue", "enterprise")
    assert status == 0, shown
    async with admin_client(kafka_settings) as admin:
        applied = await observe(admin, [topics.scored, topics.captured, topics.handoff("enterprise")])
    assert applied[topics.scored].partitions == 3
    assert applied[topics.captured].configs["retention.ms"] == str(kafka_settings.retention_ms)
    assert applied[topics.handoff("enterprise")].configs["min.insync.replicas"] == "1"

    status, shown = await leadrelay_topics(kafka_settings, "plan", "--queue", "enterprise")
    assert (status, shown.strip()) == (0, "0 difference(s), 0 that apply cannot make")


@pytest.fixture
def service_settings(kafka_settings, postgres_settings, unique) -> ServiceSettings:
    return ServiceSettings(
        database=f"lrt_topics_{unique}",
        kafka=kafka_settings.model_copy(update={"create_topics": False}),
        postgres=postgres_settings,
    )


async def test_a_service_refuses_to_start_on_misshapen_topics_and_starts_once_they_are_applied(
    service_settings, capsys
):
    kafka = service_settings.kafka
    runtime = ServiceRuntime("demo", service_settings, messaging_tables(MetaData())[0])
    await ensure_topics(kafka, kafka.topics.all_with_dlq())
    await ensure_topics(kafka, [kafka.topics.scored + ".other"])  # not ours: ignored
    compacted = {"cleanup.policy": "compact"}
    async with admin_client(kafka) as admin:
        await admin.alter_configs(
            [ConfigResource(ConfigResourceType.TOPIC, kafka.topics.scored, configs=compacted)]
        )

        async def altered() -> bool:  # a config change reaches the broker's metadata a moment later
            shape = (await observe(admin, [kafka.topics.scored]))[kafka.topics.scored]
            return shape.configs["cleanup.policy"] == "compact"

        await wait_until(altered, what="the topic compacted")
    try:
        with pytest.raises(TopicsMisshapen) as refused:
            async with runtime.lifespan(None):  # type: ignore[arg-type]
                pass
        assert f"alter config   {kafka.topics.scored}: cleanup.policy compact -> delete" in str(refused.value)
        assert "leadrelay topics apply" in str(refused.value)
        assert "demo cannot start: 2 difference(s)" in capsys.readouterr().err  # retention.ms was reset too

        await ensure_topics(kafka, [kafka.topics.scored])  # what `leadrelay topics apply` does
        await runtime.start()
    finally:
        await runtime.stop()
