"""The topic declaration and its difference from a cluster."""

from leadrelay.kafka.topology import TopicShape, declared_topics, differences, shape_of
from leadrelay.settings import KafkaSettings

# the production defaults, whatever profile the test run's broker exported
KAFKA = KafkaSettings.model_construct(
    **{name: field.default for name, field in KafkaSettings.model_fields.items()} | {"topic_prefix": "prod."}
)


def test_every_topic_is_declared_with_three_copies_two_in_sync_and_dead_letters_short_lived():
    declared = {t.name: t for t in declared_topics(KAFKA, ["enterprise"])}
    captured, dlq = declared["prod.leads.captured"], declared["prod.leads.captured.dlq"]
    assert (captured.partitions, captured.replication_factor) == (3, 3)
    assert captured.configs == {
        "min.insync.replicas": "2",
        "cleanup.policy": "delete",
        "retention.ms": str(14 * 24 * 3600 * 1000),
    }
    assert int(dlq.configs["retention.ms"]) == KAFKA.dlq_retention_ms < int(captured.configs["retention.ms"])
    assert declared["prod.sla.policies"].configs["cleanup.policy"] == "compact"
    assert "retention.ms" not in declared["prod.sla.policies"].configs
    assert "prod.handoffs.enterprise" in declared
    assert len(declared) == 2 * 12 + 1


def test_a_missing_topic_is_created_and_a_misshapen_one_fixed_where_kafka_can():
    want = shape_of(KAFKA, "prod.leads.scored")
    smaller = TopicShape(want.name, 2, 3, {**want.configs, "retention.ms": "1000"})
    changes = differences([want, shape_of(KAFKA, "prod.leads.captured")], {want.name: smaller})
    assert [(c.action, c.topic, c.detail) for c in changes] == [
        ("add partitions", "prod.leads.scored", "2 -> 3"),
        ("alter config", "prod.leads.scored", "retention.ms 1000 -> 1209600000"),
        ("create", "prod.leads.captured", "3 partitions, replication factor 3, cleanup.policy=delete, "
         "min.insync.replicas=2, retention.ms=1209600000"),
    ]  # fmt: skip
    assert all(c.fixable for c in changes)


def test_what_kafka_cannot_change_in_place_is_reported_not_applied():
    want = shape_of(KAFKA, "prod.leads.scored")
    have = TopicShape(want.name, 6, 1, dict(want.configs))
    changes = differences([want], {want.name: have})
    assert [c.action for c in changes] == ["cannot fix", "cannot fix"]
    assert "cannot remove partitions" in changes[0].detail and "replication factor 1" in changes[1].detail


def test_a_topic_as_declared_has_no_difference():
    want = shape_of(KAFKA, "prod.leads.scored")
    extra = {**want.configs, "segment.bytes": "1073741824"}  # the broker's other settings do not matter
    assert differences([want], {want.name: TopicShape(want.name, 3, 3, extra)}) == []
