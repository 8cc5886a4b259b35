"""Topic creation: dead-letter topics get a short retention, state topics are compacted, the others get the
broker's defaults."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from leadrelay.kafka.admin import ensure_topics
from leadrelay.kafka.producer import SafeProducer


async def test_dead_letter_topics_keep_records_only_for_their_retention_and_state_topics_are_compacted(
    kafka_settings,
):
    topics = kafka_settings.topics
    await ensure_topics(
        kafka_settings.model_copy(update={"dlq_retention_ms": 3_600_000}),
        [topics.captured, topics.dlq(topics.captured), topics.sla_policies],
        1,
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_settings.bootstrap_servers)
    await admin.start()
    try:
        [response] = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, topics.dlq(topics.captured)),
                ConfigResource(ConfigResourceType.TOPIC, topics.captured),
                ConfigResource(ConfigResourceType.TOPIC, topics.sla_policies),
            ]
        )
    finally:
        await admin.close()
    configs = {resource[3]: {entry[0]: entry[1] for entry in resource[4]} for resource in response.resources}
    assert configs[topics.dlq(topics.captured)]["retention.ms"] == "3600000"
    assert configs[topics.captured]["retention.ms"] != "3600000"
    assert configs[topics.sla_policies]["cleanup.policy"] == "compact"
    assert configs[topics.captured]["cleanup.policy"] == "delete"


async def test_the_producer_is_idempotent_where_the_broker_can_be(infra, kafka_settings):
    producer = SafeProducer(kafka_settings, "test")
    try:
        started = await producer.ensure_started()
        await ensure_topics(kafka_settings, [kafka_settings.topics.erased], 1)
        await (await producer.enqueue(kafka_settings.topics.erased, b"{}", "k"))
        transactions = started._txn_manager  # aiokafka keeps the producer id there
    finally:
        await producer.stop()
    if infra.broker_kind == "embedded (Tansu)":
        assert not kafka_settings.enable_idempotence and transactions is None  # Tansu's profile
    else:
        assert kafka_settings.enable_idempotence  # the production default
        assert transactions is not None and transactions.producer_id >= 0
