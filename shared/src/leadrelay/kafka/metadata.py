"""A topic's partitions as the cluster has them now."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    """Return the topic's partitions from metadata fetched now: the consumer's own view may predate the topic
    (and on Apache Kafka 4 a consumer with no subscription starts knowing no topic at all)."""
    cluster = await consumer._client.fetch_all_metadata()  # aiokafka offers no public way to ask
    return [TopicPartition(topic, p) for p in sorted(cluster.partitions_for_topic(topic) or ())]
