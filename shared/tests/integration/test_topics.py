"""Topic creation: dead-letter topics get a short retention, the others the broker's default."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from leadrelay.kafka.admin import ensure_topics


async def test_dead_letter_topics_keep_records_only_for_their_retention(kafka_settings):
    topics = kafka_settings.topics
    await ensure_topics(
        kafka_settings.bootstrap_servers,
        [topics.captured, topics.dlq(topics.captured)],
        1,
        dlq_retention_ms=3_600_000,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, topics.dlq(topics.captured)),
                ConfigResource(ConfigResourceType.TOPIC, topics.captured),
            ]
        )
    finally:
        await admin.close()
    retention = {
        resource[3]: {entry[0]: entry[1] for entry in resource[4]}.get("retention.ms")
        for resource in response.resources
    }
    assert retention[topics.dlq(topics.captured)] == "3600000"
    assert retention[topics.captured] != "3600000"
