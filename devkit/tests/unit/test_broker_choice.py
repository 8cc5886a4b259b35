"""Which broker the dev kit starts: Apache Kafka where Java 17+ and Maven are, else Tansu; a choice forces one."""

from __future__ import annotations

import os

import pytest

from leadrelay.devkit.infra.broker import EmbeddedBroker
from leadrelay.devkit.infra.kafka import KafkaServer, KafkaUnavailable, cluster_id, kafka_runnable
from leadrelay.devkit.infra.resolve import local_broker


def test_the_machines_broker_is_apache_kafka_with_java_and_maven_and_tansu_without(monkeypatch, tmp_path):
    monkeypatch.delenv("LEADRELAY_DEV_BROKER", raising=False)
    expected = KafkaServer if kafka_runnable() else EmbeddedBroker
    assert type(local_broker(tmp_path)) is expected
    if os.environ.get("CI") == "true":
        assert expected is KafkaServer, "CI runs the suite on Apache Kafka: Java 17+ and mvn must be on PATH"


def test_a_choice_forces_tansu_refuses_a_typo_and_names_what_kafka_lacks(monkeypatch, tmp_path):
    monkeypatch.setenv("LEADRELAY_DEV_BROKER", "tansu")
    assert type(local_broker(tmp_path, port=19092)) is EmbeddedBroker
    monkeypatch.setenv("LEADRELAY_DEV_BROKER", "kafak")
    with pytest.raises(ValueError, match="LEADRELAY_DEV_BROKER must be auto, kafka or tansu"):
        local_broker(tmp_path)
    monkeypatch.setenv("LEADRELAY_DEV_BROKER", "kafka")
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn
    with pytest.raises(KafkaUnavailable, match="Java 17 or newer and Maven"):
        local_broker(tmp_path)


def test_a_kraft_cluster_id_is_sixteen_bytes_in_url_safe_base64():
    ids = {cluster_id() for _ in range(3)}
    assert len(ids) == 3 and all(len(i) == 22 and "=" not in i for i in ids)
